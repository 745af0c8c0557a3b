//! Roles and assignments: the writes that decide who holds what. Every change is one
//! transaction with its audit event (before and after), and none can give away more than the
//! acting principal holds.

use crate::domain::access::{
    AssignmentInput, AssignmentView, Holder, PermissionHolders, RoleDetail, RoleInput, RoleSummary,
    RoleTemplate, Scope,
};
use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::server::authz::engine::{
    self, cycle_through, role_closure, Id, RoleNode, Subject, Window,
};
use crate::server::authz::load::{assignment_row, load_roles};
use crate::server::authz::{Access, Grant, RoleAssign, RoleManage, RoleView};
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{
    assignment, group_child, group_member, role, role_include, role_owner, role_permission, team,
    team_member, user, user_group,
};
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::state::AppState;
use crate::server::Principal;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The most holders a role or permission page lists.
pub const HOLDERS_SHOWN: usize = 500;

fn conflict_or_internal(error: DbErr, field: &str, message: &str) -> AppError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::field(field, message),
        _ => internal(error),
    }
}

/// The permissions in `wanted` that `access` does not hold for every record in `scope` for the
/// whole of `window` (what is given without an end needs access without an end).
pub fn uncovered(
    access: &Access,
    wanted: impl IntoIterator<Item = Permission>,
    scope: &Scope,
    window: &Window,
) -> Vec<Permission> {
    let mut missing: Vec<Permission> = wanted
        .into_iter()
        .filter(|p| !access.snapshot.covers(*p, scope, window, access.now))
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

/// Writes a refused attempt to the audit log and returns the message for the form field.
pub async fn refuse_escalation(
    state: &AppState,
    principal: &Principal,
    target: Target,
    field: &str,
    missing: &[Permission],
    scope: &Scope,
    client: &ClientInfo,
) -> AppError {
    let codes: Vec<&str> = missing.iter().map(|p| p.code()).collect();
    let result = async {
        let mut txn = AuditedTxn::begin(&state.db, principal.org_id).await?;
        txn.record(
            state.now(),
            NewEvent {
                actor: Actor::principal(principal),
                action: AuditAction::AccessDenied,
                target,
                outcome: Outcome::Denied,
                client: client.clone(),
                before: None,
                after: Some(serde_json::json!({
                    "reason": "escalation",
                    "missing": codes,
                    "scope": scope.to_string(),
                })),
            },
        )
        .await?;
        txn.commit().await
    }
    .await;
    if let Err(error) = result {
        return internal(error);
    }
    let where_ = if scope.is_everywhere() {
        "everywhere".to_owned()
    } else {
        format!("for {scope}")
    };
    AppError::field(
        field,
        format!(
            "You can only give access you hold yourself {where_}. Missing: {}.",
            codes.join(", ")
        ),
    )
}

/// Creates the built-in roles an organisation lacks. Returns every template's role id.
pub async fn seed_builtin_roles(
    txn: &mut AuditedTxn,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<HashMap<RoleTemplate, Id>, DbErr> {
    let org_id = txn.org_id();
    let existing: Vec<(Id, Option<String>)> = role::Entity::find()
        .select_only()
        .columns([role::Column::Id, role::Column::Template])
        .filter(role::Column::OrgId.eq(org_id))
        .filter(role::Column::Template.is_not_null())
        .into_tuple()
        .all(txn.conn())
        .await?;
    let mut ids: HashMap<RoleTemplate, Id> = existing
        .into_iter()
        .filter_map(|(id, t)| Some((RoleTemplate::parse(t.as_deref()?)?, id)))
        .collect();
    for template in RoleTemplate::ALL {
        if ids.contains_key(&template) {
            continue;
        }
        let row = role::ActiveModel {
            org_id: Set(org_id),
            name: Set(template.name().to_owned()),
            name_key: Set(template.name().to_lowercase()),
            description: Set(template.description().to_owned()),
            template: Set(Some(template.key().to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn.conn())
        .await?;
        txn.record(
            now,
            NewEvent {
                actor: actor.clone(),
                action: AuditAction::RoleCreated,
                target: Target::named("role", row.id, row.name.clone()),
                outcome: Outcome::Success,
                client: ClientInfo::default(),
                before: None,
                after: Some(serde_json::json!({
                    "template": template.key(),
                    "permissions": template.permissions().iter().map(|p| p.code()).collect::<Vec<_>>(),
                })),
            },
        )
        .await?;
        ids.insert(template, row.id);
    }
    Ok(ids)
}

/// Gives `user_id` the Administrator role, everywhere and without end.
pub async fn assign_administrator(
    txn: &mut AuditedTxn,
    now: DateTime<Utc>,
    actor: &Actor,
    user_id: Id,
    user_label: &str,
    client: &ClientInfo,
) -> Result<(), DbErr> {
    let roles = seed_builtin_roles(txn, now, actor).await?;
    let role_id = roles[&RoleTemplate::Administrator];
    let row = assignment::ActiveModel {
        org_id: Set(txn.org_id()),
        role_id: Set(role_id),
        subject_kind: Set("user".into()),
        subject_id: Set(user_id),
        scope: Set("{}".into()),
        starts_at: Set(None),
        ends_at: Set(None),
        created_by: Set(actor.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn.conn())
    .await?;
    txn.record(
        now,
        NewEvent {
            actor: actor.clone(),
            action: AuditAction::AssignmentCreated,
            target: Target::user(user_id, user_label),
            outcome: Outcome::Success,
            client: client.clone(),
            before: None,
            after: Some(serde_json::json!({
                "assignment": row.id, "role": "Administrator", "scope": "everywhere",
            })),
        },
    )
    .await
}

/// Brings organisations made before roles existed up to date: seeds the built-in roles and
/// turns the old administrator flag into an Administrator assignment. Idempotent; runs at
/// start-up.
pub async fn bootstrap(state: &AppState) -> Result<(), DbErr> {
    use crate::server::entities::organisation;
    let orgs: Vec<Id> = organisation::Entity::find()
        .select_only()
        .column(organisation::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    let actor = Actor::system("start-up");
    for org_id in orgs {
        let legacy = user::Entity::find()
            .filter(user::Column::OrgId.eq(org_id))
            .filter(user::Column::IsAdmin.eq(true))
            .all(&state.db)
            .await?;
        let has_roles = role::Entity::find()
            .filter(role::Column::OrgId.eq(org_id))
            .count(&state.db)
            .await?
            >= RoleTemplate::ALL.len() as u64;
        if legacy.is_empty() && has_roles {
            continue;
        }
        let now = state.now();
        let mut txn = AuditedTxn::begin(&state.db, org_id).await?;
        seed_builtin_roles(&mut txn, now, &actor).await?;
        for admin in legacy {
            assign_administrator(
                &mut txn,
                now,
                &actor,
                admin.id,
                &admin.email,
                &ClientInfo::default(),
            )
            .await?;
            let mut model: user::ActiveModel = admin.into();
            model.is_admin = Set(false);
            model.update(txn.conn()).await?;
        }
        if txn.has_events() {
            txn.commit().await?;
        }
    }
    Ok(())
}

/// Whether any Administrator assignment exists anywhere (first-run setup is over).
pub async fn any_administrator<C: ConnectionTrait>(conn: &C) -> Result<bool, DbErr> {
    let admin_roles: Vec<Id> = role::Entity::find()
        .select_only()
        .column(role::Column::Id)
        .filter(role::Column::Template.eq(RoleTemplate::Administrator.key()))
        .into_tuple()
        .all(conn)
        .await?;
    if admin_roles.is_empty() {
        return Ok(false);
    }
    Ok(assignment::Entity::find()
        .filter(assignment::Column::RoleId.is_in(admin_roles))
        .one(conn)
        .await?
        .is_some())
}

async fn role_in_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    id: Id,
) -> Result<role::Model, AppError> {
    role::Entity::find_by_id(id)
        .filter(role::Column::OrgId.eq(org_id))
        .one(conn)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

/// The assignments of an organisation with names, newest first, for the given condition.
async fn assignment_views<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    condition: sea_orm::Condition,
    now: DateTime<Utc>,
) -> Result<Vec<AssignmentView>, DbErr> {
    let rows = assignment::Entity::find()
        .filter(assignment::Column::OrgId.eq(org_id))
        .filter(condition)
        .order_by_desc(assignment::Column::Id)
        .limit(HOLDERS_SHOWN as u64)
        .all(conn)
        .await?;
    let roles: HashMap<Id, String> = role::Entity::find()
        .select_only()
        .columns([role::Column::Id, role::Column::Name])
        .filter(role::Column::OrgId.eq(org_id))
        .into_tuple::<(Id, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let names = subject_names(
        conn,
        org_id,
        rows.iter().map(|r| (r.subject_kind.as_str(), r.subject_id)),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let window = Window {
                starts_at: r.starts_at,
                ends_at: r.ends_at,
            };
            let scope = serde_json::from_str::<Scope>(&r.scope)
                .map(|s| s.to_string())
                .unwrap_or_else(|_| "unreadable (grants nothing)".into());
            AssignmentView {
                id: r.id,
                role_id: r.role_id,
                role_name: roles.get(&r.role_id).cloned().unwrap_or_default(),
                subject_name: names
                    .get(&(r.subject_kind.clone(), r.subject_id))
                    .cloned()
                    .unwrap_or_else(|| format!("{} {}", r.subject_kind, r.subject_id)),
                subject_kind: r.subject_kind,
                subject_id: r.subject_id,
                scope,
                starts_at: r
                    .starts_at
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                ends_at: r
                    .ends_at
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()),
                state: window.state(now).to_owned(),
            }
        })
        .collect())
}

/// Display names of users, teams and groups, keyed by (kind, id).
async fn subject_names<'a, C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    subjects: impl Iterator<Item = (&'a str, Id)>,
) -> Result<HashMap<(String, Id), String>, DbErr> {
    let mut by_kind: HashMap<&str, Vec<Id>> = HashMap::new();
    for (kind, id) in subjects {
        by_kind.entry(kind).or_default().push(id);
    }
    let mut names = HashMap::new();
    for (kind, ids) in by_kind {
        let rows: Vec<(Id, String)> = match kind {
            "user" => {
                user::Entity::find()
                    .select_only()
                    .columns([user::Column::Id, user::Column::DisplayName])
                    .filter(user::Column::OrgId.eq(org_id))
                    .filter(user::Column::Id.is_in(ids))
                    .into_tuple()
                    .all(conn)
                    .await?
            }
            "team" => {
                team::Entity::find()
                    .select_only()
                    .columns([team::Column::Id, team::Column::Name])
                    .filter(team::Column::OrgId.eq(org_id))
                    .filter(team::Column::Id.is_in(ids))
                    .into_tuple()
                    .all(conn)
                    .await?
            }
            _ => {
                user_group::Entity::find()
                    .select_only()
                    .columns([user_group::Column::Id, user_group::Column::Name])
                    .filter(user_group::Column::OrgId.eq(org_id))
                    .filter(user_group::Column::Id.is_in(ids))
                    .into_tuple()
                    .all(conn)
                    .await?
            }
        };
        for (id, name) in rows {
            names.insert((kind.to_owned(), id), name);
        }
    }
    Ok(names)
}

/// Every role of the organisation, with how many permissions it holds and how often it is
/// assigned.
pub async fn list_roles(
    state: &AppState,
    grant: &Grant<RoleView>,
) -> Result<Vec<RoleSummary>, AppError> {
    let org_id = grant.org_id();
    let rows = role::Entity::find()
        .filter(role::Column::OrgId.eq(org_id))
        .order_by_asc(role::Column::NameKey)
        .all(&state.db)
        .await
        .map_err(internal)?;
    let graph = load_roles(&state.db, org_id).await.map_err(internal)?;
    let counts: HashMap<Id, i64> = assignment::Entity::find()
        .select_only()
        .column(assignment::Column::RoleId)
        .column_as(assignment::Column::Id.count(), "n")
        .filter(assignment::Column::OrgId.eq(org_id))
        .group_by(assignment::Column::RoleId)
        .into_tuple::<(Id, i64)>()
        .all(&state.db)
        .await
        .map_err(internal)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| RoleSummary {
            permission_count: role_closure(&graph, r.id).len(),
            assignment_count: counts.get(&r.id).copied().unwrap_or(0) as u64,
            id: r.id,
            name: r.name,
            description: r.description,
            template: r.template,
        })
        .collect())
}

/// Every role's id and name, by name, for the assignment form.
pub async fn role_choices(
    state: &AppState,
    grant: &Grant<RoleAssign>,
) -> Result<Vec<(Id, String)>, AppError> {
    role::Entity::find()
        .select_only()
        .columns([role::Column::Id, role::Column::Name])
        .filter(role::Column::OrgId.eq(grant.org_id()))
        .order_by_asc(role::Column::NameKey)
        .into_tuple()
        .all(&state.db)
        .await
        .map_err(internal)
}

/// The roles whose closure contains `role_id` (itself included).
fn roles_including(graph: &HashMap<Id, RoleNode>, role_id: Id) -> Vec<Id> {
    let mut out: Vec<Id> = graph
        .keys()
        .copied()
        .filter(|id| *id == role_id || reaches(graph, *id, role_id))
        .collect();
    out.sort();
    out
}

fn reaches(graph: &HashMap<Id, RoleNode>, from: Id, to: Id) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    while let Some(id) = stack.pop() {
        if id == to {
            return true;
        }
        if seen.insert(id) {
            if let Some(node) = graph.get(&id) {
                stack.extend(node.includes.iter().copied());
            }
        }
    }
    false
}

/// One role: its permissions, includes, owners, assignments and everyone who holds it.
pub async fn get_role(
    state: &AppState,
    grant: &Grant<RoleView>,
    id: Id,
) -> Result<RoleDetail, AppError> {
    let org_id = grant.org_id();
    let row = role_in_org(&state.db, org_id, id).await?;
    let graph = load_roles(&state.db, org_id).await.map_err(internal)?;
    let node = graph.get(&id).cloned().ok_or(AppError::NotFound)?;
    let closure = role_closure(&graph, id);
    let direct: BTreeSet<Permission> = node.permissions.iter().copied().collect();
    let inherited = closure
        .iter()
        .filter(|(p, _)| !direct.contains(p))
        .map(|(p, chain)| {
            let via = chain
                .get(1)
                .and_then(|r| graph.get(r))
                .map(|r| r.name.clone())
                .unwrap_or_default();
            (p.code().to_owned(), via)
        })
        .collect();
    let owners: Vec<(Id, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Email])
        .filter(user::Column::OrgId.eq(org_id))
        .filter(
            user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(role_owner::Column::UserId)
                    .from(role_owner::Entity)
                    .and_where(role_owner::Column::RoleId.eq(id))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(&state.db)
        .await
        .map_err(internal)?;
    let assignments = assignment_views(
        &state.db,
        org_id,
        sea_orm::Condition::all().add(assignment::Column::RoleId.eq(id)),
        grant.now(),
    )
    .await
    .map_err(internal)?;
    let holders = holders(
        &state.db,
        org_id,
        &roles_including(&graph, id),
        &graph,
        grant.now(),
    )
    .await
    .map_err(internal)?;
    let access = grant.access();
    Ok(RoleDetail {
        id,
        name: row.name,
        description: row.description,
        editable: row.template.is_none() && access.holds(Permission::RoleManage),
        requires_mfa: node.requires_mfa,
        can_assign: access.holds(Permission::RoleAssign),
        template: row.template,
        permissions: direct.iter().map(|p| p.code().to_owned()).collect(),
        inherited,
        includes: node
            .includes
            .iter()
            .map(|i| (*i, graph.get(i).map(|r| r.name.clone()).unwrap_or_default()))
            .collect(),
        owners,
        assignments,
        holders,
    })
}

/// Who holds a permission, through which roles and how.
pub async fn permission_holders(
    state: &AppState,
    grant: &Grant<RoleView>,
    permission: Permission,
) -> Result<PermissionHolders, AppError> {
    let org_id = grant.org_id();
    let graph = load_roles(&state.db, org_id).await.map_err(internal)?;
    let mut roles: Vec<(Id, String)> = graph
        .iter()
        .filter(|(id, _)| role_closure(&graph, **id).contains_key(&permission))
        .map(|(id, r)| (*id, r.name.clone()))
        .collect();
    roles.sort_by(|a, b| a.1.cmp(&b.1));
    let ids: Vec<Id> = roles.iter().map(|r| r.0).collect();
    let holders = holders(&state.db, org_id, &ids, &graph, grant.now())
        .await
        .map_err(internal)?;
    Ok(PermissionHolders {
        code: permission.code().to_owned(),
        roles,
        holders,
    })
}

/// Everyone holding any of `role_ids` through an assignment in force: direct, through a team,
/// or through a group (and the groups nested in it).
pub async fn holders<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    role_ids: &[Id],
    graph: &HashMap<Id, RoleNode>,
    now: DateTime<Utc>,
) -> Result<Vec<Holder>, DbErr> {
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<engine::AssignmentRow> = assignment::Entity::find()
        .filter(assignment::Column::OrgId.eq(org_id))
        .filter(assignment::Column::RoleId.is_in(role_ids.to_vec()))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(assignment_row)
        .filter(|a| a.window.contains(now))
        .collect();
    let mut out: Vec<Holder> = Vec::new();
    let names = subject_names(
        conn,
        org_id,
        rows.iter().map(|a| (a.subject.kind_code(), a.subject.id())),
    )
    .await?;
    for a in rows {
        if out.len() >= HOLDERS_SHOWN {
            break;
        }
        let role_name = graph
            .get(&a.role_id)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let subject_name = names
            .get(&(a.subject.kind_code().to_owned(), a.subject.id()))
            .cloned()
            .unwrap_or_default();
        let (members, through): (Vec<Id>, String) = match a.subject {
            Subject::User(id) => (vec![id], format!("direct → role {role_name}")),
            Subject::Team(id) => (
                team_member::Entity::find()
                    .select_only()
                    .column(team_member::Column::UserId)
                    .filter(team_member::Column::TeamId.eq(id))
                    .filter(team_member::Column::OrgId.eq(org_id))
                    .limit(HOLDERS_SHOWN as u64)
                    .into_tuple()
                    .all(conn)
                    .await?,
                format!("team {subject_name} → role {role_name}"),
            ),
            Subject::Group(id) => {
                let groups = group_descendants(conn, org_id, id).await?;
                (
                    group_member::Entity::find()
                        .select_only()
                        .column(group_member::Column::UserId)
                        .filter(group_member::Column::GroupId.is_in(groups))
                        .filter(group_member::Column::OrgId.eq(org_id))
                        .limit(HOLDERS_SHOWN as u64)
                        .into_tuple()
                        .all(conn)
                        .await?,
                    format!("group {subject_name} (and groups inside it) → role {role_name}"),
                )
            }
        };
        let people: Vec<(Id, String, String)> = user::Entity::find()
            .select_only()
            .columns([
                user::Column::Id,
                user::Column::DisplayName,
                user::Column::Email,
            ])
            .filter(user::Column::OrgId.eq(org_id))
            .filter(user::Column::Id.is_in(members))
            .order_by_asc(user::Column::NameKey)
            .into_tuple()
            .all(conn)
            .await?;
        for (user_id, display_name, email) in people {
            out.push(Holder {
                user_id,
                display_name,
                email,
                through: through.clone(),
                scope: a.scope.to_string(),
                window: a.window.describe(),
                assignment_id: a.id,
            });
        }
    }
    out.truncate(HOLDERS_SHOWN);
    Ok(out)
}

/// A group and every group nested inside it, at any depth.
pub async fn group_descendants<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    id: Id,
) -> Result<Vec<Id>, DbErr> {
    let mut all = vec![id];
    let mut frontier = vec![id];
    while !frontier.is_empty() {
        let children: Vec<Id> = group_child::Entity::find()
            .select_only()
            .column(group_child::Column::ChildId)
            .filter(group_child::Column::OrgId.eq(org_id))
            .filter(group_child::Column::ParentId.is_in(frontier))
            .into_tuple()
            .all(conn)
            .await?;
        frontier = children.into_iter().filter(|c| !all.contains(c)).collect();
        all.extend(frontier.iter().copied());
    }
    Ok(all)
}

/// The JSON kept in the audit log for a role.
fn role_record(
    name: &str,
    description: &str,
    graph_node: &RoleNode,
    owners: &[String],
) -> serde_json::Value {
    let mut permissions: Vec<&str> = graph_node.permissions.iter().map(|p| p.code()).collect();
    permissions.sort();
    serde_json::json!({
        "name": name,
        "description": description,
        "permissions": permissions,
        "includes": graph_node.includes,
        "owners": owners,
        "requires_mfa": graph_node.requires_mfa,
    })
}

/// Resolves owners' emails to people of the organisation; unknown emails are named.
async fn resolve_emails<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    emails: &[crate::domain::values::Email],
    field: &str,
) -> Result<Vec<(Id, String)>, AppError> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<String> = emails.iter().map(|e| e.as_str().to_owned()).collect();
    let found: Vec<(Id, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Email])
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.is_in(wanted.clone()))
        .into_tuple()
        .all(conn)
        .await
        .map_err(internal)?;
    let known: HashSet<&str> = found.iter().map(|(_, e)| e.as_str()).collect();
    let unknown: Vec<&str> = wanted
        .iter()
        .map(String::as_str)
        .filter(|e| !known.contains(e))
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::field(
            field,
            format!(
                "Nobody in this organisation has these emails: {}.",
                unknown.join(", ")
            ),
        ));
    }
    Ok(found)
}

/// Checks an edited role against the rules: included roles exist and close no cycle, and the
/// actor holds everywhere every permission the change adds.
async fn check_role_change(
    state: &AppState,
    grant: &Grant<RoleManage>,
    graph: &mut HashMap<Id, RoleNode>,
    role_id: Id,
    name: &str,
    input: &RoleInput,
    client: &ClientInfo,
) -> Result<(), AppError> {
    for included in &input.includes {
        if !graph.contains_key(included) {
            return Err(AppError::field("includes", "Unknown role."));
        }
        let children = |id: Id| {
            graph
                .get(&id)
                .map(|r| r.includes.clone())
                .unwrap_or_default()
        };
        if let Some(cycle) = cycle_through(role_id, *included, children) {
            let names: Vec<String> = cycle
                .iter()
                .map(|id| {
                    if *id == role_id {
                        name.to_owned()
                    } else {
                        graph.get(id).map(|r| r.name.clone()).unwrap_or_default()
                    }
                })
                .collect();
            return Err(AppError::field(
                "includes",
                format!(
                    "Including this role would make a cycle: {}.",
                    names.join(" → ")
                ),
            ));
        }
    }
    let before: BTreeSet<Permission> = role_closure(graph, role_id).into_keys().collect();
    let was_mfa = graph.get(&role_id).is_some_and(|r| r.requires_mfa);
    graph.insert(
        role_id,
        RoleNode {
            name: name.to_owned(),
            permissions: input.permissions.clone(),
            includes: input.includes.clone(),
            requires_mfa: input.requires_mfa,
        },
    );
    let after: BTreeSet<Permission> = role_closure(graph, role_id).into_keys().collect();
    // Adding needs the added permissions; taking away (or dropping the MFA requirement)
    // weakens what others hold, so it needs everything the role held.
    let weakens = before.difference(&after).next().is_some() || (was_mfa && !input.requires_mfa);
    let missing = if weakens {
        uncovered(
            grant.access(),
            before.union(&after).copied(),
            &Scope::everywhere(),
            &Window::default(),
        )
    } else {
        uncovered(
            grant.access(),
            after.difference(&before).copied(),
            &Scope::everywhere(),
            &Window::default(),
        )
    };
    if !missing.is_empty() {
        return Err(refuse_escalation(
            state,
            grant.principal(),
            Target::named("role", role_id, name),
            "permissions",
            &missing,
            &Scope::everywhere(),
            client,
        )
        .await);
    }
    Ok(())
}

async fn write_role_links<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    role_id: Id,
    input: &RoleInput,
    owners: &[(Id, String)],
) -> Result<(), DbErr> {
    role_permission::Entity::delete_many()
        .filter(role_permission::Column::RoleId.eq(role_id))
        .exec(conn)
        .await?;
    role_include::Entity::delete_many()
        .filter(role_include::Column::RoleId.eq(role_id))
        .exec(conn)
        .await?;
    role_owner::Entity::delete_many()
        .filter(role_owner::Column::RoleId.eq(role_id))
        .exec(conn)
        .await?;
    if !input.permissions.is_empty() {
        role_permission::Entity::insert_many(input.permissions.iter().map(|p| {
            role_permission::ActiveModel {
                org_id: Set(org_id),
                role_id: Set(role_id),
                permission: Set(p.code().to_owned()),
            }
        }))
        .exec(conn)
        .await?;
    }
    if !input.includes.is_empty() {
        role_include::Entity::insert_many(input.includes.iter().map(|i| {
            role_include::ActiveModel {
                org_id: Set(org_id),
                role_id: Set(role_id),
                included_id: Set(*i),
            }
        }))
        .exec(conn)
        .await?;
    }
    if !owners.is_empty() {
        role_owner::Entity::insert_many(owners.iter().map(|(id, _)| role_owner::ActiveModel {
            org_id: Set(org_id),
            role_id: Set(role_id),
            user_id: Set(*id),
        }))
        .exec(conn)
        .await?;
    }
    Ok(())
}

/// Creates a custom role. Needs `role.manage`, and every permission it holds (directly or
/// through included roles) held by the actor everywhere.
pub async fn create_role(
    state: &AppState,
    grant: &Grant<RoleManage>,
    input: &RoleInput,
    client: &ClientInfo,
) -> Result<Id, AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let mut graph = load_roles(&state.db, org_id).await.map_err(internal)?;
    // A new role has no id yet and nothing includes it: check it under an id no row has.
    check_role_change(
        state,
        grant,
        &mut graph,
        -1,
        input.name.as_str(),
        input,
        client,
    )
    .await?;
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let owners = resolve_emails(txn.conn(), org_id, &input.owners, "owners").await?;
    let row = role::ActiveModel {
        org_id: Set(org_id),
        name: Set(input.name.as_str().to_owned()),
        name_key: Set(input.name.as_str().to_lowercase()),
        description: Set(input.description.clone()),
        template: Set(None),
        requires_mfa: Set(input.requires_mfa),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn.conn())
    .await
    .map_err(|e| conflict_or_internal(e, "name", "A role with this name exists already."))?;
    write_role_links(txn.conn(), org_id, row.id, input, &owners)
        .await
        .map_err(internal)?;
    let owner_emails: Vec<String> = owners.into_iter().map(|o| o.1).collect();
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::RoleCreated,
        Target::named("role", row.id, row.name.clone()),
        client,
        None,
        Some(role_record(
            &row.name,
            &row.description,
            &graph[&-1],
            &owner_emails,
        )),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(row.id)
}

/// Changes a custom role. Built-in roles are read-only: copy them instead.
pub async fn update_role(
    state: &AppState,
    grant: &Grant<RoleManage>,
    id: Id,
    input: &RoleInput,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let row = role_in_org(&state.db, org_id, id).await?;
    if row.template.is_some() {
        return Err(AppError::Conflict(
            "Built-in roles cannot be changed. Copy the role and change the copy.".into(),
        ));
    }
    let mut graph = load_roles(&state.db, org_id).await.map_err(internal)?;
    let before_node = graph.get(&id).cloned().ok_or(AppError::NotFound)?;
    check_role_change(
        state,
        grant,
        &mut graph,
        id,
        input.name.as_str(),
        input,
        client,
    )
    .await?;
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    // Includes are checked again under the organisation's lock (see `units::nest_group`).
    let locked = load_roles(txn.conn(), org_id).await.map_err(internal)?;
    let children = |role: Id| {
        locked
            .get(&role)
            .map(|r| r.includes.clone())
            .unwrap_or_default()
    };
    for included in &input.includes {
        if !locked.contains_key(included) || cycle_through(id, *included, children).is_some() {
            return Err(AppError::Conflict(
                "The roles changed while you were working. Look again and retry.".into(),
            ));
        }
    }
    let before_owners: Vec<String> = role_owner::Entity::find()
        .filter(role_owner::Column::RoleId.eq(id))
        .all(txn.conn())
        .await
        .map_err(internal)?
        .into_iter()
        .map(|o| o.user_id.to_string())
        .collect();
    let owners = resolve_emails(txn.conn(), org_id, &input.owners, "owners").await?;
    let mut model: role::ActiveModel = row.clone().into();
    model.name = Set(input.name.as_str().to_owned());
    model.name_key = Set(input.name.as_str().to_lowercase());
    model.description = Set(input.description.clone());
    model.requires_mfa = Set(input.requires_mfa);
    model.updated_at = Set(now);
    let after = model
        .update(txn.conn())
        .await
        .map_err(|e| conflict_or_internal(e, "name", "A role with this name exists already."))?;
    write_role_links(txn.conn(), org_id, id, input, &owners)
        .await
        .map_err(internal)?;
    let owner_ids: Vec<String> = owners.iter().map(|o| o.0.to_string()).collect();
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::RoleUpdated,
        Target::named("role", id, after.name.clone()),
        client,
        Some(role_record(
            &row.name,
            &row.description,
            &before_node,
            &before_owners,
        )),
        Some(role_record(
            &after.name,
            &after.description,
            &graph[&id],
            &owner_ids,
        )),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

/// Copies a role (built-in or custom) into a new custom role named "Copy of …".
pub async fn copy_role(
    state: &AppState,
    grant: &Grant<RoleManage>,
    id: Id,
    client: &ClientInfo,
) -> Result<Id, AppError> {
    let org_id = grant.org_id();
    let source = role_in_org(&state.db, org_id, id).await?;
    let graph = load_roles(&state.db, org_id).await.map_err(internal)?;
    let node = graph.get(&id).cloned().ok_or(AppError::NotFound)?;
    let taken: HashSet<String> = role::Entity::find()
        .select_only()
        .column(role::Column::NameKey)
        .filter(role::Column::OrgId.eq(org_id))
        .into_tuple::<String>()
        .all(&state.db)
        .await
        .map_err(internal)?
        .into_iter()
        .collect();
    let base: String = format!("Copy of {}", source.name)
        .chars()
        .take(110)
        .collect();
    let name = (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base} ({n})")
            }
        })
        .find(|n| !taken.contains(&n.to_lowercase()))
        .expect("an unused name exists");
    let input = RoleInput {
        name: crate::domain::values::DisplayName::parse(&name)
            .map_err(|e| AppError::field("name", e))?,
        description: source.description,
        permissions: node.permissions,
        includes: node.includes,
        owners: Vec::new(),
        requires_mfa: node.requires_mfa,
    };
    create_role(state, grant, &input, client).await
}

/// Deletes a custom role and every assignment of it.
pub async fn delete_role(
    state: &AppState,
    grant: &Grant<RoleManage>,
    id: Id,
    client: &ClientInfo,
) -> Result<String, AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let row = role_in_org(txn.conn(), org_id, id).await?;
    if row.template.is_some() {
        return Err(AppError::Conflict(
            "Built-in roles cannot be deleted.".into(),
        ));
    }
    let assignments = assignment::Entity::find()
        .filter(assignment::Column::RoleId.eq(id))
        .count(txn.conn())
        .await
        .map_err(internal)?;
    // Children first, so the delete does not depend on the database enforcing cascades.
    assignment::Entity::delete_many()
        .filter(assignment::Column::RoleId.eq(id))
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    role_include::Entity::delete_many()
        .filter(role_include::Column::IncludedId.eq(id))
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    write_role_links(
        txn.conn(),
        org_id,
        id,
        &RoleInput {
            name: crate::domain::values::DisplayName::parse(&row.name)
                .map_err(|e| AppError::field("name", e))?,
            description: String::new(),
            permissions: Vec::new(),
            includes: Vec::new(),
            owners: Vec::new(),
            requires_mfa: false,
        },
        &[],
    )
    .await
    .map_err(internal)?;
    role::Entity::delete_by_id(id)
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::RoleDeleted,
        Target::named("role", id, row.name.clone()),
        client,
        Some(serde_json::json!({ "name": row.name, "assignments": assignments })),
        None,
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(row.name)
}

/// Finds the subject an assignment form names: a person by email, a team or group by id or
/// name.
pub async fn resolve_subject<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    kind: &str,
    text: &str,
) -> Result<(Subject, String), AppError> {
    let not_found = |what: &str| {
        AppError::field(
            "subject",
            format!("There is no {what} called “{text}” here."),
        )
    };
    match kind {
        "user" => {
            let email = text.trim().to_lowercase();
            let row = user::Entity::find()
                .filter(user::Column::OrgId.eq(org_id))
                .filter(user::Column::Email.eq(email))
                .one(conn)
                .await
                .map_err(internal)?
                .ok_or_else(|| {
                    AppError::field("subject", format!("Nobody here has the email “{text}”."))
                })?;
            Ok((Subject::User(row.id), row.display_name))
        }
        "team" => {
            let mut q = team::Entity::find().filter(team::Column::OrgId.eq(org_id));
            q = match text.parse::<Id>() {
                Ok(id) => q.filter(team::Column::Id.eq(id)),
                Err(_) => q.filter(team::Column::NameKey.eq(text.to_lowercase())),
            };
            let row = q
                .one(conn)
                .await
                .map_err(internal)?
                .ok_or_else(|| not_found("team"))?;
            Ok((Subject::Team(row.id), row.name))
        }
        _ => {
            let mut q = user_group::Entity::find().filter(user_group::Column::OrgId.eq(org_id));
            q = match text.parse::<Id>() {
                Ok(id) => q.filter(user_group::Column::Id.eq(id)),
                Err(_) => q.filter(user_group::Column::NameKey.eq(text.to_lowercase())),
            };
            let row = q
                .one(conn)
                .await
                .map_err(internal)?
                .ok_or_else(|| not_found("group"))?;
            Ok((Subject::Group(row.id), row.name))
        }
    }
}

/// Gives a role to a person, team or group. Needs `role.assign`, and every permission of the
/// role held by the actor over the whole scope given.
pub async fn create_assignment(
    state: &AppState,
    grant: &Grant<RoleAssign>,
    input: &AssignmentInput,
    client: &ClientInfo,
) -> Result<Id, AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let graph = load_roles(&state.db, org_id).await.map_err(internal)?;
    let role_node = graph
        .get(&input.role_id)
        .ok_or_else(|| AppError::field("role_id", "Choose a role of this organisation."))?;
    let (subject, subject_name) =
        resolve_subject(&state.db, org_id, &input.subject_kind, &input.subject).await?;
    let missing = uncovered(
        grant.access(),
        role_closure(&graph, input.role_id).into_keys(),
        &input.scope,
        &Window {
            starts_at: input.starts_at,
            ends_at: input.ends_at,
        },
    );
    if !missing.is_empty() {
        return Err(refuse_escalation(
            state,
            grant.principal(),
            Target::named(subject.kind_code(), subject.id(), subject_name),
            "role_id",
            &missing,
            &input.scope,
            client,
        )
        .await);
    }
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let scope_json = serde_json::to_string(&input.scope).map_err(internal)?;
    let row = assignment::ActiveModel {
        org_id: Set(org_id),
        role_id: Set(input.role_id),
        subject_kind: Set(subject.kind_code().to_owned()),
        subject_id: Set(subject.id()),
        scope: Set(scope_json),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        created_by: Set(Some(grant.principal().user_id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn.conn())
    .await
    .map_err(internal)?;
    let window = Window {
        starts_at: input.starts_at,
        ends_at: input.ends_at,
    };
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::AssignmentCreated,
        Target::named(subject.kind_code(), subject.id(), subject_name),
        client,
        None,
        Some(serde_json::json!({
            "assignment": row.id,
            "role": role_node.name,
            "role_id": input.role_id,
            "scope": input.scope.to_string(),
            "window": window.describe(),
        })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(row.id)
}

/// Takes an assignment away. Needs `role.assign` over the assignment's whole scope.
pub async fn revoke_assignment(
    state: &AppState,
    grant: &Grant<RoleAssign>,
    id: Id,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let graph = load_roles(&state.db, org_id).await.map_err(internal)?;
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let row = assignment::Entity::find_by_id(id)
        .filter(assignment::Column::OrgId.eq(org_id))
        .one(txn.conn())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let parsed = assignment_row(row.clone()).unwrap_or(engine::AssignmentRow {
        id: row.id,
        role_id: row.role_id,
        subject: Subject::User(row.subject_id),
        scope: Scope::everywhere(),
        window: Window::default(),
    });
    let missing = uncovered(
        grant.access(),
        role_closure(&graph, row.role_id).into_keys(),
        &parsed.scope,
        &parsed.window,
    );
    if !missing.is_empty() {
        drop(txn);
        return Err(refuse_escalation(
            state,
            grant.principal(),
            Target::record("assignment", id),
            "assignment",
            &missing,
            &parsed.scope,
            client,
        )
        .await);
    }
    let names = subject_names(
        txn.conn(),
        org_id,
        std::iter::once((row.subject_kind.as_str(), row.subject_id)),
    )
    .await
    .map_err(internal)?;
    let subject_name = names
        .get(&(row.subject_kind.clone(), row.subject_id))
        .cloned()
        .unwrap_or_default();
    assignment::Entity::delete_by_id(id)
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::AssignmentRevoked,
        Target::named(&row.subject_kind, row.subject_id, subject_name),
        client,
        Some(serde_json::json!({
            "assignment": row.id,
            "role": graph.get(&row.role_id).map(|r| r.name.clone()),
            "role_id": row.role_id,
            "scope": parsed.scope.to_string(),
            "window": parsed.window.describe(),
        })),
        None,
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

/// One assignment, for the revoke confirmation.
pub async fn get_assignment(
    state: &AppState,
    grant: &Grant<RoleView>,
    id: Id,
) -> Result<AssignmentView, AppError> {
    assignment_views(
        &state.db,
        grant.org_id(),
        sea_orm::Condition::all().add(assignment::Column::Id.eq(id)),
        grant.now(),
    )
    .await
    .map_err(internal)?
    .into_iter()
    .next()
    .ok_or(AppError::NotFound)
}

/// The assignments given directly to one subject.
pub async fn assignments_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    subject: Subject,
    now: DateTime<Utc>,
) -> Result<Vec<AssignmentView>, DbErr> {
    assignment_views(
        conn,
        org_id,
        sea_orm::Condition::all()
            .add(assignment::Column::SubjectKind.eq(subject.kind_code()))
            .add(assignment::Column::SubjectId.eq(subject.id())),
        now,
    )
    .await
}

/// Every permission a person holds, with each path, for their page. Needs `user.view` over
/// the person.
pub async fn effective_access(
    state: &AppState,
    grant: &Grant<crate::server::authz::UserView>,
    user_id: Id,
) -> Result<crate::domain::access::EffectiveAccess, AppError> {
    let org_id = grant.org_id();
    let row = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    if !grant.permits(&crate::server::services::people::attributes(&row)) {
        return Err(AppError::NotFound);
    }
    let graph =
        crate::server::authz::load::load_graph(&state.db, org_id, user_id, &row.display_name)
            .await
            .map_err(internal)?;
    let snapshot = engine::Snapshot::build(&graph);
    let direct = assignments_of(&state.db, org_id, Subject::User(user_id), grant.now())
        .await
        .map_err(internal)?;
    Ok(crate::domain::access::EffectiveAccess {
        user_id,
        display_name: row.display_name,
        email: row.email,
        paths: snapshot.paths(grant.now()),
        direct,
    })
}
