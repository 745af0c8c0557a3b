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
    Ok(DashboardFigures {
        active,
        suspended,
        deactivated,
        sign_ins_today,
        failed_sign_ins_today,
        recent,
    })
}
