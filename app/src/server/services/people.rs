//! People: list, read, create, change, suspend and reactivate. Every function takes the grant
//! the decision engine issued, and scopes every query to the grant's organisation.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::people::{
    Employment, PeoplePage, PeopleQuery, PeopleSort, PersonDetail, PersonInput, PersonSummary,
    UserStatus,
};
use crate::domain::AppError;
use crate::server::authz::{Grant, UserCreate, UserEdit, UserSuspend, UserView};
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{session, user};
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::state::AppState;
use base64::Engine;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

/// Converts a row to the list shape.
fn summary(row: user::Model) -> PersonSummary {
    PersonSummary {
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        status: UserStatus::parse(&row.status).unwrap_or(UserStatus::Deactivated),
        department: row.department,
        region: row.region,
    }
}

/// The opaque cursor that continues a list after the row with this sort key and id.
pub fn encode_cursor(key: &str, id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::json!([key, id]).to_string())
}

fn decode_cursor(cursor: &str) -> Result<(String, i64), AppError> {
    let bad = || {
        AppError::field(
            "cursor",
            "This page link is no longer valid; start from the first page.",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    serde_json::from_slice::<(String, i64)>(&bytes)
        .ok()
        .filter(|(key, _)| !key.chars().any(char::is_control) && key.len() <= 254)
        .ok_or_else(bad)
}

/// The exclusive upper bound of all strings starting with `prefix`, in byte order.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// One page of people, ordered and filtered in the database with keyset pagination, so that
/// page 1,000 costs what page 1 costs.
pub async fn list(
    state: &AppState,
    grant: &Grant<UserView>,
    query: &PeopleQuery,
) -> Result<PeoplePage, AppError> {
    let limit = query.effective_limit();
    // Control characters cannot be in a name or email (and PostgreSQL refuses NUL).
    let search: String = query
        .search
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect();
    let cursor = query
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()?;

    // One index range per query: a name prefix and an email prefix are two separate queries
    // merged here, because an OR of the two makes the planners scan the sort index instead.
    let prefix = |column: user::Column| {
        Condition::all()
            .add(column.gte(search.clone()))
            .add(column.lt(prefix_end(&search)))
    };
    let mut filters = Vec::new();
    if search.is_empty() {
        filters.push(Condition::all());
    } else {
        filters.push(prefix(user::Column::Email));
        if !search.contains('@') {
            filters.push(prefix(user::Column::NameKey));
        }
    }
    let mut rows: Vec<user::Model> = Vec::new();
    for filter in filters {
        let select = page_select(grant.org_id(), query, cursor.as_ref())
            .filter(filter)
            .filter(scope_condition(grant.filter()));
        rows.extend(
            select
                .limit(limit + 1)
                .all(&state.db)
                .await
                .map_err(internal)?,
        );
    }
    rows.sort_by(|a, b| match query.sort {
        PeopleSort::Name => (&a.name_key, a.id).cmp(&(&b.name_key, b.id)),
        PeopleSort::Email => a.email.cmp(&b.email),
        PeopleSort::Newest => b.id.cmp(&a.id),
    });
    rows.dedup_by_key(|row| row.id);

    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|last| {
            let key = match query.sort {
                PeopleSort::Name => last.name_key.clone(),
                PeopleSort::Email => last.email.clone(),
                PeopleSort::Newest => String::new(),
            };
            encode_cursor(&key, last.id)
        })
    } else {
        None
    };
    Ok(PeoplePage {
        rows: rows.into_iter().map(summary).collect(),
        next_cursor,
    })
}

/// The organisation, status, keyset position and order of one page, for one index range scan.
/// The keyset is a row-value comparison, which both planners turn into an index range.
fn page_select(
    org_id: i64,
    query: &PeopleQuery,
    cursor: Option<&(String, i64)>,
) -> sea_orm::Select<user::Entity> {
    let mut select = user::Entity::find().filter(user::Column::OrgId.eq(org_id));
    if let Some(status) = query.status {
        select = select.filter(user::Column::Status.eq(status.code()));
    }
    if let Some((key, id)) = cursor {
        select = match query.sort {
            PeopleSort::Name => select.filter(
                Expr::tuple([
                    Expr::col(user::Column::NameKey),
                    Expr::col(user::Column::Id),
                ])
                .gt(Expr::tuple([Expr::val(key.clone()), Expr::val(*id)])),
            ),
            // Emails are unique within an organisation: the email alone is the position.
            PeopleSort::Email => select.filter(user::Column::Email.gt(key.clone())),
            PeopleSort::Newest => select.filter(user::Column::Id.lt(*id)),
        };
    }
    match query.sort {
        PeopleSort::Name => select
            .order_by_asc(user::Column::NameKey)
            .order_by_asc(user::Column::Id),
        PeopleSort::Email => select.order_by_asc(user::Column::Email),
        PeopleSort::Newest => select.order_by_desc(user::Column::Id),
    }
}

/// The people a grant reaches: people carry a region, nothing else a scope can name.
fn scope_condition(filter: &crate::server::authz::ListFilter) -> Condition {
    crate::server::repo::scope::condition(filter, |attribute| {
        (attribute == crate::domain::access::ScopeAttribute::Region).then_some(user::Column::Region)
    })
}

/// A person's attributes, as scopes see them.
pub fn attributes(row: &user::Model) -> crate::domain::access::RecordAttributes {
    crate::domain::access::RecordAttributes {
        region: row.region.clone(),
        ..Default::default()
    }
}

/// Refuses (audited) a person outside the grant's scope.
async fn within_scope<P: crate::server::authz::Perm>(
    state: &AppState,
    grant: &Grant<P>,
    row: &user::Model,
    client: &ClientInfo,
) -> Result<(), AppError> {
    if grant.permits(&attributes(row)) {
        return Ok(());
    }
    let resource = crate::server::authz::Resource {
        org_id: row.org_id,
        kind: crate::domain::permission::ResourceKind::User,
        id: Some(row.id),
        attributes: attributes(row),
    };
    Err(crate::server::authz::refuse_record(state, grant, &resource, client).await)
}

async fn find_in_org<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    id: i64,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(conn)
        .await
}

/// One person's page.
pub async fn get(
    state: &AppState,
    grant: &Grant<UserView>,
    id: i64,
    client: &ClientInfo,
) -> Result<PersonDetail, AppError> {
    let row = find_in_org(&state.db, grant.org_id(), id)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    within_scope(state, grant, &row, client).await?;
    let manager = match row.manager_id {
        Some(manager) => find_in_org(&state.db, grant.org_id(), manager)
            .await
            .map_err(internal)?,
        None => None,
    };
    Ok(PersonDetail {
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        status: UserStatus::parse(&row.status).unwrap_or(UserStatus::Deactivated),
        department: row.department,
        job_title: row.job_title,
        region: row.region,
        product_lines: split_lines(&row.product_lines),
        employment: Employment::parse(&row.employment).unwrap_or(Employment::Employee),
        manager_id: row.manager_id,
        manager_name: manager.as_ref().map(|m| m.display_name.clone()),
        manager_email: manager.map(|m| m.email),
        created_at: row.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        updated_at: row.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    })
}

fn split_lines(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The audited view of a person: what before/after show.
fn snapshot(row: &user::Model) -> serde_json::Value {
    serde_json::json!({
        "email": row.email,
        "display_name": row.display_name,
        "status": row.status,
        "department": row.department,
        "job_title": row.job_title,
        "region": row.region,
        "product_lines": split_lines(&row.product_lines),
        "employment": row.employment,
        "manager_id": row.manager_id,
    })
}

async fn resolve_manager<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    input: &PersonInput,
    self_id: Option<i64>,
) -> Result<Option<i64>, AppError> {
    let Some(email) = &input.manager_email else {
        return Ok(None);
    };
    let manager = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.eq(email.as_str()))
        .one(conn)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            AppError::field(
                "manager_email",
                "No one in your organisation has this email.",
            )
        })?;
    if Some(manager.id) == self_id {
        return Err(AppError::field(
            "manager_email",
            "A person cannot be their own manager.",
        ));
    }
    Ok(Some(manager.id))
}

fn conflict_or_internal(err: DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::field(
            "email",
            "Someone in your organisation already has this email.",
        ),
        _ => internal(err),
    }
}

/// Fills the attribute columns of an active model from validated input.
fn apply_input(model: &mut user::ActiveModel, input: &PersonInput, manager_id: Option<i64>) {
    model.email = Set(input.email.as_str().to_owned());
    model.display_name = Set(input.display_name.as_str().to_owned());
    model.name_key = Set(input.display_name.as_str().to_lowercase());
    model.department = Set(input.department.clone());
    model.job_title = Set(input.job_title.clone());
    model.region = Set(input.region.clone());
    model.product_lines = Set(input.product_lines.join(","));
    model.employment = Set(input.employment.code().to_owned());
    model.manager_id = Set(manager_id);
}

/// Adds a person. Returns the new id.
pub async fn create(
    state: &AppState,
    grant: &Grant<UserCreate>,
    input: &PersonInput,
    initial_password: Option<&crate::domain::values::NewPassword>,
    client: &ClientInfo,
) -> Result<i64, AppError> {
    let org_id = grant.org_id();
    // Hash before the transaction: argon2 takes tens of milliseconds and holds no lock.
    let password_hash = match initial_password {
        Some(password) => Some(
            state
                .hash_password(password.expose())
                .await
                .map_err(internal)?,
        ),
        None => None,
    };
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let manager_id = resolve_manager(txn.conn(), org_id, input, None).await?;
    let mut model = user::ActiveModel {
        org_id: Set(org_id),
        status: Set(UserStatus::Active.code().to_owned()),
        is_admin: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_input(&mut model, input, manager_id);
    let row = model
        .insert(txn.conn())
        .await
        .map_err(conflict_or_internal)?;
    if let Some(hash) = password_hash {
        crate::server::entities::password_credential::ActiveModel {
            user_id: Set(row.id),
            org_id: Set(org_id),
            password_hash: Set(hash),
            updated_at: Set(now),
        }
        .insert(txn.conn())
        .await
        .map_err(internal)?;
    }
    let actor = grant.principal();
    txn.record(
        now,
        NewEvent {
            actor: Actor::principal(actor),
            action: AuditAction::UserCreated,
            target: Target::user(row.id, row.email.clone()),
            outcome: Outcome::Success,
            client: client.clone(),
            before: None,
            after: Some({
                let mut after = snapshot(&row);
                after["has_password"] = serde_json::Value::Bool(initial_password.is_some());
                after
            }),
        },
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(row.id)
}

/// Changes a person's name, email and attributes.
pub async fn update(
    state: &AppState,
    grant: &Grant<UserEdit>,
    id: i64,
    input: &PersonInput,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let before = find_in_org(txn.conn(), org_id, id)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let moved_out = !grant.permits(&crate::domain::access::RecordAttributes {
        region: input.region.clone(),
        ..Default::default()
    });
    if !grant.permits(&attributes(&before)) || moved_out {
        drop(txn);
        within_scope(state, grant, &before, client).await?;
        return Err(AppError::field(
            "region",
            "You can only give people a region you manage.",
        ));
    }
    let manager_id = resolve_manager(txn.conn(), org_id, input, Some(id)).await?;
    let mut model: user::ActiveModel = before.clone().into();
    apply_input(&mut model, input, manager_id);
    model.updated_at = Set(now);
    let after = model
        .update(txn.conn())
        .await
        .map_err(conflict_or_internal)?;
    let actor = grant.principal();
    txn.record(
        now,
        NewEvent {
            actor: Actor::principal(actor),
            action: AuditAction::UserUpdated,
            target: Target::user(after.id, after.email.clone()),
            outcome: Outcome::Success,
            client: client.clone(),
            before: Some(snapshot(&before)),
            after: Some(snapshot(&after)),
        },
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

/// Suspends people and ends every session they have, at once. Returns how many changed;
/// people already suspended, and the acting administrator, are left as they are.
pub async fn suspend(
    state: &AppState,
    grant: &Grant<UserSuspend>,
    ids: &[i64],
    client: &ClientInfo,
) -> Result<usize, AppError> {
    let actor = grant.principal();
    if ids.contains(&actor.user_id) {
        return Err(AppError::Conflict("You cannot suspend yourself.".into()));
    }
    all_within_scope(state, grant, ids, client).await?;
    set_status(
        state,
        grant.org_id(),
        actor,
        ids,
        UserStatus::Suspended,
        client,
    )
    .await
}

/// Lets suspended people sign in again.
pub async fn reactivate(
    state: &AppState,
    grant: &Grant<UserSuspend>,
    ids: &[i64],
    client: &ClientInfo,
) -> Result<usize, AppError> {
    all_within_scope(state, grant, ids, client).await?;
    set_status(
        state,
        grant.org_id(),
        grant.principal(),
        ids,
        UserStatus::Active,
        client,
    )
    .await
}

/// Refuses (audited) the whole operation when any of `ids` is outside the grant's scope.
async fn all_within_scope(
    state: &AppState,
    grant: &Grant<UserSuspend>,
    ids: &[i64],
    client: &ClientInfo,
) -> Result<(), AppError> {
    let rows = user::Entity::find()
        .filter(user::Column::OrgId.eq(grant.org_id()))
        .filter(user::Column::Id.is_in(ids.iter().copied().take(501)))
        .all(&state.db)
        .await
        .map_err(internal)?;
    for row in &rows {
        within_scope(state, grant, row, client).await?;
    }
    Ok(())
}

async fn set_status(
    state: &AppState,
    org_id: i64,
    actor: &crate::server::Principal,
    ids: &[i64],
    status: UserStatus,
    client: &ClientInfo,
) -> Result<usize, AppError> {
    if ids.is_empty() {
        return Err(AppError::field("ids", "Select at least one person."));
    }
    if ids.len() > 500 {
        return Err(AppError::field(
            "ids",
            "Select at most 500 people at a time.",
        ));
    }
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let rows = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .all(txn.conn())
        .await
        .map_err(internal)?;
    if rows.len() != ids.iter().collect::<std::collections::HashSet<_>>().len() {
        return Err(AppError::NotFound);
    }
    let mut changed = 0;
    for row in rows.into_iter().filter(|r| r.status != status.code()) {
        let mut model: user::ActiveModel = row.clone().into();
        model.status = Set(status.code().to_owned());
        model.updated_at = Set(now);
        let after = model.update(txn.conn()).await.map_err(internal)?;
        let action = match status {
            UserStatus::Active => AuditAction::UserReactivated,
            _ => AuditAction::UserSuspended,
        };
        txn.record(
            now,
            NewEvent {
                actor: Actor::principal(actor),
                action,
                target: Target::user(after.id, after.email.clone()),
                outcome: Outcome::Success,
                client: client.clone(),
                before: Some(serde_json::json!({ "status": row.status })),
                after: Some(serde_json::json!({ "status": after.status })),
            },
        )
        .await
        .map_err(internal)?;
        if status != UserStatus::Active {
            let ended = session::Entity::delete_many()
                .filter(session::Column::UserId.eq(row.id))
                .filter(session::Column::OrgId.eq(org_id))
                .exec(txn.conn())
                .await
                .map_err(internal)?;
            if ended.rows_affected > 0 {
                txn.record(
                    now,
                    NewEvent {
                        actor: Actor::principal(actor),
                        action: AuditAction::SessionsRevoked,
                        target: Target::user(after.id, after.email.clone()),
                        outcome: Outcome::Success,
                        client: client.clone(),
                        before: None,
                        after: Some(serde_json::json!({ "sessions_ended": ended.rows_affected })),
                    },
                )
                .await
                .map_err(internal)?;
            }
        }
        changed += 1;
    }
    if changed == 0 {
        return Ok(0);
    }
    txn.commit().await.map_err(internal)?;
    Ok(changed)
}

/// The people with these ids in the grant's organisation (unknown ids are left out).
pub async fn by_ids(
    state: &AppState,
    grant: &Grant<UserView>,
    ids: &[i64],
) -> Result<Vec<PersonSummary>, AppError> {
    if ids.len() > 500 {
        return Err(AppError::field(
            "ids",
            "Select at most 500 people at a time.",
        ));
    }
    let rows = user::Entity::find()
        .filter(user::Column::OrgId.eq(grant.org_id()))
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .filter(scope_condition(grant.filter()))
        .order_by_asc(user::Column::NameKey)
        .all(&state.db)
        .await
        .map_err(internal)?;
    Ok(rows.into_iter().map(summary).collect())
}
