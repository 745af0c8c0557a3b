//! Teams and groups: create, rename, lead, members in bulk, and group nesting. Teams and groups
//! share their shape (a named unit with members), so one set of steps serves both, keyed by
//! [`UnitKind`]. Adding members or nesting a group gives people the unit's roles, so the
//! actor must hold those roles' permissions over their scopes: no escalation through
//! membership.

use crate::domain::access::{MemberView, UnitDetail, UnitInput, UnitSummary};
use crate::domain::audit::AuditAction;
use crate::domain::permission::Permission;
use crate::domain::values::Email;
use crate::domain::AppError;
use crate::server::authz::engine::{cycle_through, role_closure, Id, Subject};
use crate::server::authz::load::{assignment_row, load_group_ancestry, load_roles};
use crate::server::authz::{Grant, GroupManage, GroupView, Perm, TeamManage, TeamView};
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{assignment, group_child, user};
use crate::server::services::access::{assignments_of, refuse_escalation, uncovered};
use crate::server::services::audit::{AuditedTxn, Target};
use crate::server::state::AppState;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use std::collections::HashMap;

/// Which kind of unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    Team,
    Group,
}

impl UnitKind {
    pub fn code(self) -> &'static str {
        match self {
            UnitKind::Team => "team",
            UnitKind::Group => "group",
        }
    }

    fn table(self) -> Alias {
        Alias::new(match self {
            UnitKind::Team => "teams",
            UnitKind::Group => "user_groups",
        })
    }

    fn members(self) -> Alias {
        Alias::new(match self {
            UnitKind::Team => "team_members",
            UnitKind::Group => "group_members",
        })
    }

    fn member_key(self) -> Alias {
        Alias::new(match self {
            UnitKind::Team => "team_id",
            UnitKind::Group => "group_id",
        })
    }

    fn subject(self, id: Id) -> Subject {
        match self {
            UnitKind::Team => Subject::Team(id),
            UnitKind::Group => Subject::Group(id),
        }
    }

    fn manage_permission(self) -> Permission {
        match self {
            UnitKind::Team => Permission::TeamManage,
            UnitKind::Group => Permission::GroupManage,
        }
    }

    fn taken_message(self) -> &'static str {
        match self {
            UnitKind::Team => "A team with this name exists already.",
            UnitKind::Group => "A group with this name exists already.",
        }
    }
}

/// A permission that lets its holder see one kind of unit.
pub trait ViewsUnits: Perm {
    const KIND: UnitKind;
}

/// A permission that lets its holder change one kind of unit.
pub trait ManagesUnits: Perm {
    const KIND: UnitKind;
}

impl ViewsUnits for TeamView {
    const KIND: UnitKind = UnitKind::Team;
}
impl ViewsUnits for GroupView {
    const KIND: UnitKind = UnitKind::Group;
}
impl ManagesUnits for TeamManage {
    const KIND: UnitKind = UnitKind::Team;
}
impl ManagesUnits for GroupManage {
    const KIND: UnitKind = UnitKind::Group;
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

/// The unit's row: (name, description, lead id), when it is in the organisation.
async fn unit_row<C: ConnectionTrait>(
    conn: &C,
    kind: UnitKind,
    org_id: Id,
    id: Id,
) -> Result<(String, String, Option<Id>), AppError> {
    let mut q = Query::select();
    q.columns([col("name"), col("description")])
        .from(kind.table())
        .and_where(Expr::col(col("org_id")).eq(org_id))
        .and_where(Expr::col(col("id")).eq(id));
    if kind == UnitKind::Team {
        q.column(col("lead_id"));
    }
    let row = conn
        .query_one(&q)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let lead = if kind == UnitKind::Team {
        row.try_get::<Option<Id>>("", "lead_id").map_err(internal)?
    } else {
        None
    };
    Ok((
        row.try_get("", "name").map_err(internal)?,
        row.try_get("", "description").map_err(internal)?,
        lead,
    ))
}

/// Every unit of a kind, by name, with member counts.
pub async fn list<P: ViewsUnits>(
    state: &AppState,
    grant: &Grant<P>,
) -> Result<Vec<UnitSummary>, AppError> {
    let kind = P::KIND;
    let org_id = grant.org_id();
    let mut q = Query::select();
    q.columns([col("id"), col("name"), col("description")])
        .from(kind.table())
        .and_where(Expr::col(col("org_id")).eq(org_id))
        .order_by(col("name_key"), Order::Asc)
        .limit(1000);
    if kind == UnitKind::Team {
        q.column(col("lead_id"));
    }
    let rows = state.db.query_all(&q).await.map_err(internal)?;
    let mut counts_q = Query::select();
    counts_q
        .column(kind.member_key())
        .expr_as(Func::count(Expr::col(col("user_id"))), col("n"))
        .from(kind.members())
        .and_where(Expr::col(col("org_id")).eq(org_id))
        .group_by_col(kind.member_key());
    let key = match kind {
        UnitKind::Team => "team_id",
        UnitKind::Group => "group_id",
    };
    let mut counts: HashMap<Id, i64> = HashMap::new();
    for row in state.db.query_all(&counts_q).await.map_err(internal)? {
        counts.insert(
            row.try_get("", key).map_err(internal)?,
            row.try_get("", "n").map_err(internal)?,
        );
    }
    let mut parents: HashMap<Id, Vec<Id>> = HashMap::new();
    if kind == UnitKind::Group {
        for edge in group_child::Entity::find()
            .filter(group_child::Column::OrgId.eq(org_id))
            .all(&state.db)
            .await
            .map_err(internal)?
        {
            parents
                .entry(edge.child_id)
                .or_default()
                .push(edge.parent_id);
        }
    }
    let mut leads: Vec<Id> = Vec::new();
    let mut out = Vec::new();
    for row in rows {
        let id: Id = row.try_get("", "id").map_err(internal)?;
        let lead: Option<Id> = if kind == UnitKind::Team {
            row.try_get("", "lead_id").map_err(internal)?
        } else {
            None
        };
        leads.extend(lead);
        out.push((
            lead,
            UnitSummary {
                id,
                name: row.try_get("", "name").map_err(internal)?,
                description: row.try_get("", "description").map_err(internal)?,
                member_count: counts.get(&id).copied().unwrap_or(0) as u64,
                lead: None,
                parents: parents.remove(&id).unwrap_or_default(),
            },
        ));
    }
    let names = user_names(&state.db, org_id, leads)
        .await
        .map_err(internal)?;
    Ok(out
        .into_iter()
        .map(|(lead, mut unit)| {
            unit.lead = lead.and_then(|l| names.get(&l).cloned());
            unit
        })
        .collect())
}

async fn user_names<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    ids: Vec<Id>,
) -> Result<HashMap<Id, String>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::DisplayName])
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(ids))
        .into_tuple::<(Id, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

async fn group_names<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    ids: Vec<Id>,
) -> Result<Vec<(Id, String)>, DbErr> {
    use crate::server::entities::user_group;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    user_group::Entity::find()
        .select_only()
        .columns([user_group::Column::Id, user_group::Column::Name])
        .filter(user_group::Column::OrgId.eq(org_id))
        .filter(user_group::Column::Id.is_in(ids))
        .order_by_asc(user_group::Column::NameKey)
        .into_tuple()
        .all(conn)
        .await
}

/// The most members a unit page lists.
pub const MEMBERS_SHOWN: u64 = 1000;

/// One unit with its members, nesting and assignments.
pub async fn get<P: ViewsUnits>(
    state: &AppState,
    grant: &Grant<P>,
    id: Id,
) -> Result<UnitDetail, AppError> {
    let kind = P::KIND;
    let org_id = grant.org_id();
    let (name, description, lead) = unit_row(&state.db, kind, org_id, id).await?;
    let member_ids = member_ids(&state.db, kind, org_id, id)
        .await
        .map_err(internal)?;
    let members: Vec<MemberView> = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(member_ids))
        .order_by_asc(user::Column::NameKey)
        .limit(MEMBERS_SHOWN)
        .all(&state.db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|u| MemberView {
            user_id: u.id,
            display_name: u.display_name,
            email: u.email,
            region: u.region,
        })
        .collect();
    let (parents, children) = if kind == UnitKind::Group {
        let edges = group_child::Entity::find()
            .filter(group_child::Column::OrgId.eq(org_id))
            .filter(
                sea_orm::Condition::any()
                    .add(group_child::Column::ParentId.eq(id))
                    .add(group_child::Column::ChildId.eq(id)),
            )
            .all(&state.db)
            .await
            .map_err(internal)?;
        let parents = edges
            .iter()
            .filter(|e| e.child_id == id)
            .map(|e| e.parent_id)
            .collect();
        let children = edges
            .iter()
            .filter(|e| e.parent_id == id)
            .map(|e| e.child_id)
            .collect();
        (
            group_names(&state.db, org_id, parents)
                .await
                .map_err(internal)?,
            group_names(&state.db, org_id, children)
                .await
                .map_err(internal)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let lead = match lead {
        Some(l) => user::Entity::find_by_id(l)
            .filter(user::Column::OrgId.eq(org_id))
            .one(&state.db)
            .await
            .map_err(internal)?
            .map(|u| (l, u.display_name, u.email)),
        None => None,
    };
    let access = grant.access();
    Ok(UnitDetail {
        id,
        kind: kind.code().to_owned(),
        name,
        description,
        lead,
        members,
        parents,
        children,
        assignments: assignments_of(&state.db, org_id, kind.subject(id), grant.now())
            .await
            .map_err(internal)?,
        can_manage: access.holds(kind.manage_permission()),
        can_assign: access.holds(Permission::RoleAssign),
    })
}

async fn member_ids<C: ConnectionTrait>(
    conn: &C,
    kind: UnitKind,
    org_id: Id,
    id: Id,
) -> Result<Vec<Id>, DbErr> {
    let q = Query::select()
        .column(col("user_id"))
        .from(kind.members())
        .and_where(Expr::col(col("org_id")).eq(org_id))
        .and_where(Expr::col(kind.member_key()).eq(id))
        .to_owned();
    conn.query_all(&q)
        .await?
        .into_iter()
        .map(|r| r.try_get::<Id>("", "user_id"))
        .collect()
}

async fn lead_id<C: ConnectionTrait>(
    conn: &C,
    org_id: Id,
    lead: Option<&Email>,
) -> Result<Option<Id>, AppError> {
    let Some(email) = lead else { return Ok(None) };
    let row = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.eq(email.as_str()))
        .one(conn)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::field("lead", "Nobody in this organisation has this email."))?;
    Ok(Some(row.id))
}

fn unique_or_internal(kind: UnitKind) -> impl Fn(DbErr) -> AppError {
    move |e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::field("name", kind.taken_message()),
        _ => internal(e),
    }
}

/// Creates a team or a group.
pub async fn create<P: ManagesUnits>(
    state: &AppState,
    grant: &Grant<P>,
    input: &UnitInput,
    client: &ClientInfo,
) -> Result<Id, AppError> {
    let kind = P::KIND;
    let org_id = grant.org_id();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let lead = lead_id(txn.conn(), org_id, input.lead.as_ref()).await?;
    let mut columns = vec![
        col("org_id"),
        col("name"),
        col("name_key"),
        col("description"),
        col("created_at"),
        col("updated_at"),
    ];
    let mut values: Vec<sea_orm::sea_query::SimpleExpr> = vec![
        org_id.into(),
        input.name.as_str().into(),
        input.name.as_str().to_lowercase().into(),
        input.description.clone().into(),
        now.into(),
        now.into(),
    ];
    if kind == UnitKind::Team {
        columns.push(col("lead_id"));
        values.push(lead.into());
    }
    let insert = Query::insert()
        .into_table(kind.table())
        .columns(columns)
        .values_panic(values)
        .returning_col(col("id"))
        .to_owned();
    let row = txn
        .conn()
        .query_one(&insert)
        .await
        .map_err(unique_or_internal(kind))?
        .ok_or_else(|| internal("insert returned no row"))?;
    let id: Id = row.try_get("", "id").map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        match kind {
            UnitKind::Team => AuditAction::TeamCreated,
            UnitKind::Group => AuditAction::GroupCreated,
        },
        Target::named(kind.code(), id, input.name.as_str()),
        client,
        None,
        Some(serde_json::json!({
            "name": input.name.as_str(), "description": input.description, "lead_id": lead,
        })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(id)
}

/// Renames a unit, changes its description and (for teams) its lead.
pub async fn update<P: ManagesUnits>(
    state: &AppState,
    grant: &Grant<P>,
    id: Id,
    input: &UnitInput,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let kind = P::KIND;
    let org_id = grant.org_id();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let (name, description, lead_before) = unit_row(txn.conn(), kind, org_id, id).await?;
    let lead = lead_id(txn.conn(), org_id, input.lead.as_ref()).await?;
    let mut q = Query::update();
    q.table(kind.table())
        .value(col("name"), input.name.as_str())
        .value(col("name_key"), input.name.as_str().to_lowercase())
        .value(col("description"), input.description.clone())
        .value(col("updated_at"), now)
        .and_where(Expr::col(col("id")).eq(id))
        .and_where(Expr::col(col("org_id")).eq(org_id));
    if kind == UnitKind::Team {
        q.value(col("lead_id"), lead);
    }
    txn.conn()
        .execute(&q)
        .await
        .map_err(unique_or_internal(kind))?;
    txn.record_change(
        now,
        grant.principal(),
        match kind {
                UnitKind::Team => AuditAction::TeamUpdated,
                UnitKind::Group => AuditAction::GroupUpdated,
            },
        Target::named(kind.code(), id, input.name.as_str()),
        client,
        Some(serde_json::json!({ "name": name, "description": description, "lead_id": lead_before })),
        Some(serde_json::json!({ "name": input.name.as_str(), "description": input.description, "lead_id": lead })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

/// Refuses a change that would hand the members of `subjects` roles the actor could not give
/// them directly: every assignment on those subjects must be within what the actor holds.
async fn check_inherited_assignments<P: ManagesUnits>(
    state: &AppState,
    grant: &Grant<P>,
    subjects: &[Subject],
    target: Target,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let org_id = grant.org_id();
    let mut condition = sea_orm::Condition::any();
    for s in subjects {
        condition = condition.add(
            sea_orm::Condition::all()
                .add(assignment::Column::SubjectKind.eq(s.kind_code()))
                .add(assignment::Column::SubjectId.eq(s.id())),
        );
    }
    let rows: Vec<_> = assignment::Entity::find()
        .filter(assignment::Column::OrgId.eq(org_id))
        .filter(condition)
        .all(&state.db)
        .await
        .map_err(internal)?
        .into_iter()
        .filter_map(assignment_row)
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let roles = load_roles(&state.db, org_id).await.map_err(internal)?;
    for a in rows {
        let missing = uncovered(
            grant.access(),
            role_closure(&roles, a.role_id).into_keys(),
            &a.scope,
            &a.window,
        );
        if !missing.is_empty() {
            return Err(refuse_escalation(
                state,
                grant.principal(),
                target,
                "members",
                &missing,
                &a.scope,
                client,
            )
            .await);
        }
    }
    Ok(())
}

/// The subjects whose assignments a member of this unit inherits.
async fn inherited_subjects(
    state: &AppState,
    kind: UnitKind,
    org_id: Id,
    id: Id,
) -> Result<Vec<Subject>, AppError> {
    Ok(match kind {
        UnitKind::Team => vec![Subject::Team(id)],
        UnitKind::Group => load_group_ancestry(&state.db, org_id, vec![id])
            .await
            .map_err(internal)?
            .into_keys()
            .map(Subject::Group)
            .collect(),
    })
}

/// Adds people, by email, to a unit. Unknown emails are refused as a whole, naming each.
/// Returns how many were added (people already in are skipped).
pub async fn add_members<P: ManagesUnits>(
    state: &AppState,
    grant: &Grant<P>,
    id: Id,
    emails: &[Email],
    client: &ClientInfo,
) -> Result<usize, AppError> {
    let kind = P::KIND;
    let org_id = grant.org_id();
    if emails.is_empty() {
        return Err(AppError::field("members", "Paste at least one email."));
    }
    let (name, _, _) = unit_row(&state.db, kind, org_id, id).await?;
    let subjects = inherited_subjects(state, kind, org_id, id).await?;
    check_inherited_assignments(
        state,
        grant,
        &subjects,
        Target::named(kind.code(), id, name.clone()),
        client,
    )
    .await?;
    let wanted: Vec<String> = emails.iter().map(|e| e.as_str().to_owned()).collect();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let people: Vec<(Id, String)> = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Email])
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.is_in(wanted.clone()))
        .into_tuple()
        .all(txn.conn())
        .await
        .map_err(internal)?;
    let unknown: Vec<&str> = wanted
        .iter()
        .map(String::as_str)
        .filter(|e| !people.iter().any(|(_, p)| p == e))
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::field(
            "members",
            format!(
                "Nobody in this organisation has these emails: {}.",
                unknown.join(", ")
            ),
        ));
    }
    let existing = member_ids(txn.conn(), kind, org_id, id)
        .await
        .map_err(internal)?;
    let new: Vec<&(Id, String)> = people
        .iter()
        .filter(|(uid, _)| !existing.contains(uid))
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    let mut insert = Query::insert();
    insert
        .into_table(kind.members())
        .columns([col("org_id"), kind.member_key(), col("user_id")]);
    for (uid, _) in &new {
        insert.values_panic([org_id.into(), id.into(), (*uid).into()]);
    }
    txn.conn().execute(&insert).await.map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::MembersAdded,
        Target::named(kind.code(), id, name),
        client,
        Some(serde_json::json!({ "members": existing.len() })),
        Some(serde_json::json!({
            "members": existing.len() + new.len(),
            "added": new.iter().map(|(_, e)| e.as_str()).collect::<Vec<_>>(),
        })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(new.len())
}

/// Removes people from a unit. Returns how many were removed.
pub async fn remove_members<P: ManagesUnits>(
    state: &AppState,
    grant: &Grant<P>,
    id: Id,
    user_ids: &[Id],
    client: &ClientInfo,
) -> Result<usize, AppError> {
    let kind = P::KIND;
    let org_id = grant.org_id();
    if user_ids.is_empty() {
        return Err(AppError::field("members", "Select at least one member."));
    }
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let (name, _, _) = unit_row(txn.conn(), kind, org_id, id).await?;
    let existing = member_ids(txn.conn(), kind, org_id, id)
        .await
        .map_err(internal)?;
    let gone: Vec<Id> = user_ids
        .iter()
        .copied()
        .filter(|u| existing.contains(u))
        .collect();
    if gone.is_empty() {
        return Ok(0);
    }
    let emails: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(gone.clone()))
        .into_tuple()
        .all(txn.conn())
        .await
        .map_err(internal)?;
    let delete = Query::delete()
        .from_table(kind.members())
        .and_where(Expr::col(col("org_id")).eq(org_id))
        .and_where(Expr::col(kind.member_key()).eq(id))
        .and_where(Expr::col(col("user_id")).is_in(gone.clone()))
        .to_owned();
    txn.conn().execute(&delete).await.map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::MembersRemoved,
        Target::named(kind.code(), id, name),
        client,
        Some(serde_json::json!({ "members": existing.len() })),
        Some(serde_json::json!({ "members": existing.len() - gone.len(), "removed": emails })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(gone.len())
}

/// Nests `child` inside `parent`: the child's members become members of the parent. Cycles
/// are refused with the cycle named.
pub async fn nest_group(
    state: &AppState,
    grant: &Grant<GroupManage>,
    parent: Id,
    child_name: &str,
    client: &ClientInfo,
) -> Result<String, AppError> {
    let org_id = grant.org_id();
    let (parent_name, _, _) = unit_row(&state.db, UnitKind::Group, org_id, parent).await?;
    let (child, child_name) = match crate::server::services::access::resolve_subject(
        &state.db, org_id, "group", child_name,
    )
    .await
    {
        Ok((s, name)) => (s.id(), name),
        Err(AppError::Validation(mut errors)) => {
            let message = errors.remove("subject").unwrap_or_default();
            return Err(AppError::field("child", message));
        }
        Err(e) => return Err(e),
    };
    let edges: Vec<(Id, Id)> = group_child::Entity::find()
        .select_only()
        .columns([group_child::Column::ParentId, group_child::Column::ChildId])
        .filter(group_child::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(&state.db)
        .await
        .map_err(internal)?;
    if edges.contains(&(parent, child)) {
        return Err(AppError::field(
            "child",
            format!("{child_name} is already inside {parent_name}."),
        ));
    }
    let children = |id: Id| {
        edges
            .iter()
            .filter(|(p, _)| *p == id)
            .map(|(_, c)| *c)
            .collect()
    };
    if let Some(cycle) = cycle_through(parent, child, children) {
        let names = group_names(&state.db, org_id, cycle.clone())
            .await
            .map_err(internal)?;
        let name_of = |id: &Id| {
            names
                .iter()
                .find(|(g, _)| g == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        };
        let path: Vec<String> = cycle.iter().map(name_of).collect();
        return Err(AppError::field(
            "child",
            format!("This would make a cycle: {}.", path.join(" → ")),
        ));
    }
    let subjects = inherited_subjects(state, UnitKind::Group, org_id, parent).await?;
    check_inherited_assignments(
        state,
        grant,
        &subjects,
        Target::named("group", parent, parent_name.clone()),
        client,
    )
    .await
    .map_err(|e| match e {
        AppError::Validation(mut errors) => {
            AppError::field("child", errors.remove("members").unwrap_or_default())
        }
        other => other,
    })?;
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    // Checked again under the organisation's lock, so a concurrent nesting the other way
    // round cannot slip a cycle in between the check and the write.
    let locked: Vec<(Id, Id)> = group_child::Entity::find()
        .select_only()
        .columns([group_child::Column::ParentId, group_child::Column::ChildId])
        .filter(group_child::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(txn.conn())
        .await
        .map_err(internal)?;
    let locked_children = |id: Id| {
        locked
            .iter()
            .filter(|(p, _)| *p == id)
            .map(|(_, c)| *c)
            .collect()
    };
    if locked.contains(&(parent, child)) || cycle_through(parent, child, locked_children).is_some()
    {
        return Err(AppError::Conflict(
            "The groups changed while you were working. Look again and retry.".into(),
        ));
    }
    group_child::ActiveModel {
        org_id: Set(org_id),
        parent_id: Set(parent),
        child_id: Set(child),
    }
    .insert(txn.conn())
    .await
    .map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::GroupNested,
        Target::named("group", parent, parent_name),
        client,
        None,
        Some(serde_json::json!({ "child_id": child, "child": child_name })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(child_name)
}

/// Takes `child` out of `parent`.
pub async fn unnest_group(
    state: &AppState,
    grant: &Grant<GroupManage>,
    parent: Id,
    child: Id,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let (parent_name, _, _) = unit_row(txn.conn(), UnitKind::Group, org_id, parent).await?;
    let removed = group_child::Entity::delete_many()
        .filter(group_child::Column::OrgId.eq(org_id))
        .filter(group_child::Column::ParentId.eq(parent))
        .filter(group_child::Column::ChildId.eq(child))
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    if removed.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::GroupUnnested,
        Target::named("group", parent, parent_name),
        client,
        Some(serde_json::json!({ "child_id": child })),
        None,
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}
