//! The dashboard's figures, computed from indexed queries.

use crate::domain::audit::{ActivityItem, AuditAction, DashboardFigures, Outcome};
use crate::domain::people::UserStatus;
use crate::domain::AppError;
use crate::server::authz::{Grant, UserView};
use crate::server::ctx::internal;
use crate::server::entities::{audit_event, user};
use crate::server::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

/// People by status, sign-ins since midnight UTC, and the latest activity.
pub async fn figures(
    state: &AppState,
    grant: &Grant<UserView>,
) -> Result<DashboardFigures, AppError> {
    let org_id = grant.org_id();
    let count_status = |status: UserStatus| {
        user::Entity::find()
            .filter(user::Column::OrgId.eq(org_id))
            .filter(user::Column::Status.eq(status.code()))
            .count(&state.db)
    };
    let active = count_status(UserStatus::Active).await.map_err(internal)?;
    let suspended = count_status(UserStatus::Suspended)
        .await
        .map_err(internal)?;
    let deactivated = count_status(UserStatus::Deactivated)
        .await
        .map_err(internal)?;
    let midnight = state
        .now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(|| state.now());
    let sign_ins = |outcome: Outcome| {
        audit_event::Entity::find()
            .filter(audit_event::Column::OrgId.eq(org_id))
            .filter(audit_event::Column::Action.eq(AuditAction::SignIn.code()))
            .filter(audit_event::Column::OccurredAt.gte(midnight))
            .filter(audit_event::Column::Outcome.eq(outcome.code()))
            .count(&state.db)
    };
    let sign_ins_today = sign_ins(Outcome::Success).await.map_err(internal)?;
    let failed_sign_ins_today = sign_ins(Outcome::Failure).await.map_err(internal)?;
    let recent = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(org_id))
        .order_by_desc(audit_event::Column::Seq)
        .limit(10)
        .all(&state.db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|e| ActivityItem {
            seq: e.seq,
            occurred_at: e.occurred_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: e.actor_label,
            action_label: AuditAction::parse(&e.action)
                .map(|a| a.label().to_owned())
                .unwrap_or_else(|| e.action.clone()),
            action_code: e.action,
            target: e.target_label,
            outcome: e.outcome,
        })
        .collect();
    let (mfa_by_team, mfa_by_role) = mfa_adoption(state, org_id).await.map_err(internal)?;
    Ok(DashboardFigures {
        active,
        suspended,
        deactivated,
        sign_ins_today,
        failed_sign_ins_today,
        recent,
        mfa_by_team,
        mfa_by_role,
    })
}

type Adoption = Vec<(String, u64, u64)>;

/// Second-factor adoption: per team in one grouped query, per role over everyone who holds it
/// now (directly, through a team, or through nested groups).
async fn mfa_adoption(
    state: &AppState,
    org_id: i64,
) -> Result<(Adoption, Adoption), sea_orm::DbErr> {
    use crate::server::entities::{mfa_passkey, mfa_totp, role};
    use sea_orm::{ConnectionTrait, Statement};
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            state.db.get_database_backend(),
            format!(
                "SELECT t.name AS name, COUNT(m.user_id) AS total, COUNT(f.user_id) AS enrolled \
                 FROM teams t LEFT JOIN team_members m ON m.team_id = t.id \
                 LEFT JOIN ({}) f ON f.user_id = m.user_id \
                 WHERE t.org_id = $1 GROUP BY t.id, t.name, t.name_key ORDER BY t.name_key LIMIT 50",
                crate::server::services::mfa::ENROLLED_PEOPLE
            ),
            [org_id.into()],
        ))
        .await?;
    let mut by_team = Vec::new();
    for row in rows {
        let total: i64 = row.try_get("", "total")?;
        let enrolled: i64 = row.try_get("", "enrolled")?;
        by_team.push((row.try_get("", "name")?, enrolled as u64, total as u64));
    }
    let graph = crate::server::authz::load::load_roles(&state.db, org_id).await?;
    let mut roles: Vec<(i64, String)> = role::Entity::find()
        .select_only()
        .columns([role::Column::Id, role::Column::Name])
        .filter(role::Column::OrgId.eq(org_id))
        .order_by_asc(role::Column::NameKey)
        .limit(50)
        .into_tuple()
        .all(&state.db)
        .await?;
    roles.retain(|(id, _)| graph.contains_key(id));
    let mut by_role = Vec::new();
    for (id, name) in roles {
        let holders =
            crate::server::services::access::holders(&state.db, org_id, &[id], &graph, state.now())
                .await?;
        let mut people: Vec<i64> = holders.iter().map(|h| h.user_id).collect();
        people.sort_unstable();
        people.dedup();
        if people.is_empty() {
            continue;
        }
        let mut enrolled: std::collections::HashSet<i64> = mfa_totp::Entity::find()
            .select_only()
            .column(mfa_totp::Column::UserId)
            .filter(mfa_totp::Column::OrgId.eq(org_id))
            .filter(mfa_totp::Column::ConfirmedAt.is_not_null())
            .filter(mfa_totp::Column::UserId.is_in(people.clone()))
            .into_tuple::<i64>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect();
        enrolled.extend(
            mfa_passkey::Entity::find()
                .select_only()
                .column(mfa_passkey::Column::UserId)
                .filter(mfa_passkey::Column::OrgId.eq(org_id))
                .filter(mfa_passkey::Column::UserId.is_in(people.clone()))
                .into_tuple::<i64>()
                .all(&state.db)
                .await?,
        );
        by_role.push((name, enrolled.len() as u64, people.len() as u64));
    }
    Ok((by_team, by_role))
}

/// The dashboard's charts: events and sign-ins per day over two weeks, the most active people
/// over a week, and open alerts. Needs `audit_event.view`.
pub async fn charts(
    state: &AppState,
    grant: &Grant<crate::server::authz::AuditEventView>,
) -> Result<crate::domain::audit::ActivityCharts, AppError> {
    use crate::server::services::audit_log::{count, top_actors, Filter};
    let org_id = grant.org_id();
    let today = state
        .now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(|| state.now());
    let mut events_by_day = Vec::with_capacity(14);
    let mut sign_ins_by_day = Vec::with_capacity(14);
    for back in (0..14).rev() {
        let from = today - chrono::Duration::days(back);
        let day = Filter {
            from: Some(from),
            until: Some(from + chrono::Duration::days(1)),
            ..Filter::default()
        };
        let label = from.format("%m-%d").to_string();
        let events = count(&state.db, org_id, &day).await.map_err(internal)?;
        let sign_ins = |outcome: Outcome| Filter {
            action: Some((AuditAction::SignIn.code().to_owned(), false)),
            outcome: Some(outcome.code().to_owned()),
            ..day.clone()
        };
        let ok = count(&state.db, org_id, &sign_ins(Outcome::Success))
            .await
            .map_err(internal)?;
        let failed = count(&state.db, org_id, &sign_ins(Outcome::Failure))
            .await
            .map_err(internal)?;
        events_by_day.push((label.clone(), events));
        sign_ins_by_day.push((label, ok, failed));
    }
    let week = Filter {
        from: Some(today - chrono::Duration::days(6)),
        until: Some(today + chrono::Duration::days(1)),
        ..Filter::default()
    };
    let top = top_actors(&state.db, org_id, &week, 5)
        .await
        .map_err(internal)?;
    Ok(crate::domain::audit::ActivityCharts {
        events_by_day,
        sign_ins_by_day,
        top_actors: top,
        open_alerts: crate::server::services::alerts::open_count(&state.db, org_id)
            .await
            .map_err(internal)?,
        latest_alerts: crate::server::services::alerts::latest_open(&state.db, org_id, 3)
            .await
            .map_err(internal)?,
    })
}
