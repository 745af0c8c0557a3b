//! Loads the [`AccessGraph`] of one principal from the database: a handful of indexed queries,
//! none of which grows with the size of the organisation.

use super::engine::{AccessGraph, AssignmentRow, GroupNode, Id, RoleNode, Subject, Window};
use crate::domain::access::{RoleTemplate, Scope};
use crate::domain::permission::Permission;
use crate::server::entities::{
    assignment, group_child, group_member, role, role_include, role_permission, team, team_member,
    user_group,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::HashMap;

/// Everything `user_id`'s access depends on.
pub async fn load_graph<C: ConnectionTrait>(
    db: &C,
    org_id: Id,
    user_id: Id,
    user_name: &str,
) -> Result<AccessGraph, DbErr> {
    let team_ids: Vec<Id> = team_member::Entity::find()
        .select_only()
        .column(team_member::Column::TeamId)
        .filter(team_member::Column::OrgId.eq(org_id))
        .filter(team_member::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    let teams: Vec<(Id, String)> = if team_ids.is_empty() {
        Vec::new()
    } else {
        team::Entity::find()
            .select_only()
            .columns([team::Column::Id, team::Column::Name])
            .filter(team::Column::OrgId.eq(org_id))
            .filter(team::Column::Id.is_in(team_ids))
            .into_tuple()
            .all(db)
            .await?
    };
    let direct_groups: Vec<Id> = group_member::Entity::find()
        .select_only()
        .column(group_member::Column::GroupId)
        .filter(group_member::Column::OrgId.eq(org_id))
        .filter(group_member::Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await?;
    let groups = load_group_ancestry(db, org_id, direct_groups.clone()).await?;
    let roles = load_roles(db, org_id).await?;

    let mut reach = Condition::any().add(
        Condition::all()
            .add(assignment::Column::SubjectKind.eq("user"))
            .add(assignment::Column::SubjectId.eq(user_id)),
    );
    if !teams.is_empty() {
        reach = reach.add(
            Condition::all()
                .add(assignment::Column::SubjectKind.eq("team"))
                .add(assignment::Column::SubjectId.is_in(teams.iter().map(|t| t.0))),
        );
    }
    if !groups.is_empty() {
        reach = reach.add(
            Condition::all()
                .add(assignment::Column::SubjectKind.eq("group"))
                .add(assignment::Column::SubjectId.is_in(groups.keys().copied())),
        );
    }
    let assignments = assignment::Entity::find()
        .filter(assignment::Column::OrgId.eq(org_id))
        .filter(reach)
        .all(db)
        .await?
        .into_iter()
        .filter_map(assignment_row)
        .collect();
    Ok(AccessGraph {
        org_id,
        user_id,
        user_name: user_name.to_owned(),
        teams,
        direct_groups,
        groups,
        roles,
        assignments,
    })
}

/// The groups in `start` and every group above them, one query per level of nesting.
pub async fn load_group_ancestry<C: ConnectionTrait>(
    db: &C,
    org_id: Id,
    start: Vec<Id>,
) -> Result<HashMap<Id, GroupNode>, DbErr> {
    let mut groups: HashMap<Id, GroupNode> = HashMap::new();
    let mut frontier = start;
    while !frontier.is_empty() {
        frontier.retain(|id| !groups.contains_key(id));
        frontier.sort_unstable();
        frontier.dedup();
        if frontier.is_empty() {
            break;
        }
        let names: Vec<(Id, String)> = user_group::Entity::find()
            .select_only()
            .columns([user_group::Column::Id, user_group::Column::Name])
            .filter(user_group::Column::OrgId.eq(org_id))
            .filter(user_group::Column::Id.is_in(frontier.clone()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, name) in names {
            groups.insert(
                id,
                GroupNode {
                    name,
                    parents: Vec::new(),
                },
            );
        }
        let edges: Vec<(Id, Id)> = group_child::Entity::find()
            .select_only()
            .columns([group_child::Column::ParentId, group_child::Column::ChildId])
            .filter(group_child::Column::OrgId.eq(org_id))
            .filter(group_child::Column::ChildId.is_in(frontier.clone()))
            .into_tuple()
            .all(db)
            .await?;
        frontier = Vec::new();
        for (parent, child) in edges {
            if let Some(node) = groups.get_mut(&child) {
                node.parents.push(parent);
            }
            frontier.push(parent);
        }
    }
    Ok(groups)
}

/// Every role of the organisation with its permissions and includes. Built-in roles take both
/// from their template.
pub async fn load_roles<C: ConnectionTrait>(
    db: &C,
    org_id: Id,
) -> Result<HashMap<Id, RoleNode>, DbErr> {
    let rows: Vec<(Id, String, Option<String>, bool)> = role::Entity::find()
        .select_only()
        .columns([
            role::Column::Id,
            role::Column::Name,
            role::Column::Template,
            role::Column::RequiresMfa,
        ])
        .filter(role::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(db)
        .await?;
    let permissions: Vec<(Id, String)> = role_permission::Entity::find()
        .select_only()
        .columns([
            role_permission::Column::RoleId,
            role_permission::Column::Permission,
        ])
        .filter(role_permission::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(db)
        .await?;
    let includes: Vec<(Id, Id)> = role_include::Entity::find()
        .select_only()
        .columns([
            role_include::Column::RoleId,
            role_include::Column::IncludedId,
        ])
        .filter(role_include::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(db)
        .await?;
    let by_template: HashMap<RoleTemplate, Id> = rows
        .iter()
        .filter_map(|(id, _, t, _)| Some((RoleTemplate::parse(t.as_deref()?)?, *id)))
        .collect();
    let mut roles: HashMap<Id, RoleNode> = HashMap::new();
    for (id, name, template, requires_mfa) in rows {
        let template = template.as_deref().and_then(RoleTemplate::parse);
        roles.insert(
            id,
            RoleNode {
                name,
                requires_mfa: template.map_or(requires_mfa, |t| t.requires_mfa()),
                permissions: template
                    .map(|t| t.permissions().to_vec())
                    .unwrap_or_default(),
                includes: template
                    .map(|t| {
                        t.includes()
                            .iter()
                            .filter_map(|i| by_template.get(i).copied())
                            .collect()
                    })
                    .unwrap_or_default(),
            },
        );
    }
    for (role_id, code) in permissions {
        // A code that left the catalog grants nothing.
        if let (Some(role), Some(p)) = (roles.get_mut(&role_id), Permission::parse(&code)) {
            role.permissions.push(p);
        }
    }
    for (role_id, included) in includes {
        if let Some(role) = roles.get_mut(&role_id) {
            role.includes.push(included);
        }
    }
    Ok(roles)
}

/// Converts a stored assignment. One that cannot be read grants nothing (and is logged), so a
/// damaged scope can never widen into "everywhere".
pub fn assignment_row(model: assignment::Model) -> Option<AssignmentRow> {
    let scope = match serde_json::from_str::<Scope>(&model.scope) {
        Ok(scope) => scope,
        Err(error) => {
            tracing::warn!(assignment = model.id, %error, "unreadable assignment scope; ignored");
            return None;
        }
    };
    Some(AssignmentRow {
        id: model.id,
        role_id: model.role_id,
        subject: Subject::parse(&model.subject_kind, model.subject_id)?,
        scope,
        window: Window {
            starts_at: model.starts_at,
            ends_at: model.ends_at,
        },
    })
}
