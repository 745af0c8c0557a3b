//! Alerts on unusual activity. The rules read the audit chain after a per-organisation cursor,
//! so they see exactly what was recorded, whichever replica recorded it; an alert is raised in
//! one audited transaction with its `alert.raised` event (which the webhook sinks deliver) and
//! the cursor's move. Alerts of the same kind about the same subject are raised at most once
//! an hour.

use crate::domain::audit::{AlertKind, AlertPage, AlertRow, AuditAction, Outcome};
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::server::authz::{engine::Snapshot, load, AuditEventManage, AuditEventView, Grant};
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{alert, alert_cursor, audit_event, organisation, role, user};
use crate::server::services::audit::{clip, Actor, AuditedTxn, NewEvent, Target};
use crate::server::services::audit_log::{condition, seq_range, Filter};
use crate::server::services::mfa::at;
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Timelike, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

/// Events the rules read per organisation per run.
const BATCH: u64 = 2_000;
/// Failed sign-ins are counted over this many minutes.
const SIGN_IN_WINDOW_MINUTES: i64 = 15;
/// The same alert about the same subject is not raised again within this long.
const QUIET_MINUTES: i64 = 60;

/// An alert a rule wants raised.
#[derive(Debug, Clone)]
struct Finding {
    kind: AlertKind,
    subject: String,
    summary: String,
    event_seq: i64,
    target: Target,
}

/// Runs the rules over every organisation's new events. Returns how many alerts were raised.
pub async fn scan(state: &AppState) -> Result<usize, DbErr> {
    let organisations = organisation::Entity::find().all(&state.db).await?;
    let mut raised = 0;
    for org in organisations {
        raised += scan_organisation(state, &org).await?;
    }
    Ok(raised)
}

async fn scan_organisation(state: &AppState, org: &organisation::Model) -> Result<usize, DbErr> {
    let cursor = alert_cursor::Entity::find_by_id(org.id)
        .one(&state.db)
        .await?
        .map_or(0, |c| c.seq);
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(org.id))
        .filter(audit_event::Column::Seq.gt(cursor))
        .order_by_asc(audit_event::Column::Seq)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(0);
    };
    let mut findings = Vec::new();
    for event in &events {
        findings.extend(findings_for(state, org, event).await?);
    }
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org.id).await?;
    // Another replica may have read these events meanwhile: only the one that moves the
    // cursor from where it was raises their alerts.
    let current = alert_cursor::Entity::find_by_id(org.id)
        .one(txn.conn())
        .await?
        .map_or(0, |c| c.seq);
    if current != cursor {
        txn.rollback().await?;
        return Ok(0);
    }
    alert_cursor::Entity::insert(alert_cursor::ActiveModel {
        org_id: Set(org.id),
        seq: Set(last),
    })
    .on_conflict(
        OnConflict::column(alert_cursor::Column::OrgId)
            .update_column(alert_cursor::Column::Seq)
            .to_owned(),
    )
    .exec_without_returning(txn.conn())
    .await?;
    let mut raised = 0;
    for finding in findings {
        let recent = alert::Entity::find()
            .filter(alert::Column::OrgId.eq(org.id))
            .filter(alert::Column::Kind.eq(finding.kind.code()))
            .filter(alert::Column::Subject.eq(finding.subject.clone()))
            .filter(alert::Column::RaisedAt.gt(now - Duration::minutes(QUIET_MINUTES)))
            .count(txn.conn())
            .await?;
        if recent > 0 {
            continue;
        }
        let row = alert::Entity::insert(alert::ActiveModel {
            org_id: Set(org.id),
            kind: Set(finding.kind.code().to_owned()),
            subject: Set(clip(&finding.subject, 300)),
            summary: Set(clip(&finding.summary, 500)),
            event_seq: Set(finding.event_seq),
            raised_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(txn.conn())
        .await?;
        txn.record(
            now,
            NewEvent {
                actor: Actor::system("castellan (alerts)"),
                action: AuditAction::AlertRaised,
                target: finding.target.clone(),
                outcome: Outcome::Success,
                client: ClientInfo::default(),
                before: None,
                after: Some(serde_json::json!({
                    "alert": row.id,
                    "kind": finding.kind.code(),
                    "severity": finding.kind.severity(),
                    "subject": finding.subject,
                    "summary": finding.summary,
                    "event_seq": finding.event_seq,
                })),
            },
        )
        .await?;
        raised += 1;
    }
    if txn.has_events() {
        txn.commit().await?;
    } else {
        // Only the cursor moved: operational bookkeeping, not a change anyone made.
        txn.commit_without_events().await?;
    }
    Ok(raised)
}

fn after_json(event: &audit_event::Model) -> serde_json::Value {
    event
        .after_json
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// Administrative changes: what the after-hours rule watches.
fn is_admin_change(action: &str) -> bool {
    const PREFIXES: [&str; 7] = [
        "role.",
        "team.",
        "group.",
        "membership.",
        "assignment.",
        "settings.",
        "webhook.",
    ];
    PREFIXES.iter().any(|p| action.starts_with(p))
        || matches!(
            action,
            "user.created"
                | "user.updated"
                | "user.suspended"
                | "user.reactivated"
                | "mfa.reset"
                | "session.revoked"
        )
}

async fn findings_for(
    state: &AppState,
    org: &organisation::Model,
    event: &audit_event::Model,
) -> Result<Vec<Finding>, DbErr> {
    let settings = &state.audit;
    let mut found = Vec::new();
    let outcome = Outcome::parse(&event.outcome);
    match event.action.as_str() {
        "auth.sign_in" if outcome == Some(Outcome::Failure) => {
            let since = event.occurred_at - Duration::minutes(SIGN_IN_WINDOW_MINUTES);
            if let Some(account) = &event.target_label {
                let failures = count_failures(
                    &state.db,
                    org.id,
                    event,
                    since,
                    audit_event::Column::TargetLabel.eq(account.clone()),
                )
                .await?;
                if failures >= settings.alert_failed_sign_ins_account {
                    found.push(Finding {
                        kind: AlertKind::FailedSignInsAccount,
                        subject: account.clone(),
                        summary: format!(
                            "{failures} failed sign-ins for {account} within {SIGN_IN_WINDOW_MINUTES} minutes"
                        ),
                        event_seq: event.seq,
                        target: Target::labelled("account", account.clone()),
                    });
                }
            }
            if let Some(address) = &event.client_addr {
                let failures = count_failures(
                    &state.db,
                    org.id,
                    event,
                    since,
                    audit_event::Column::ClientAddr.eq(address.clone()),
                )
                .await?;
                if failures >= settings.alert_failed_sign_ins_address {
                    found.push(Finding {
                        kind: AlertKind::FailedSignInsAddress,
                        subject: address.clone(),
                        summary: format!(
                            "{failures} failed sign-ins from {address} within {SIGN_IN_WINDOW_MINUTES} minutes"
                        ),
                        event_seq: event.seq,
                        target: Target::labelled("address", address.clone()),
                    });
                }
            }
        }
        "customer.pii_viewed" => {
            if let Some(finding) = record_views(state, org.id, event).await? {
                found.push(finding);
            }
        }
        "assignment.created" | "user.administrator_created"
            if outcome == Some(Outcome::Success) =>
        {
            let role_id = after_json(event)["role_id"].as_i64();
            let administrator = match (event.action.as_str(), role_id) {
                ("user.administrator_created", _) => true,
                (_, Some(role_id)) => grants_everything(&state.db, org.id, role_id).await?,
                // The start-up conversion of the old administrator flag names no role id.
                (_, None) => after_json(event)["role"] == "Administrator",
            };
            if administrator {
                let who = event.target_label.clone().unwrap_or_default();
                found.push(Finding {
                    kind: AlertKind::AdministratorGranted,
                    subject: who.clone(),
                    summary: format!(
                        "{} gave {who} a role with every permission",
                        event.actor_label
                    ),
                    event_seq: event.seq,
                    target: target_of(event),
                });
            }
        }
        "mfa.removed" | "mfa.reset" if outcome == Some(Outcome::Success) => {
            if let (Some("user"), Some(user_id)) = (event.target_type.as_deref(), event.target_id) {
                if is_administrator(&state.db, org.id, user_id, state.now()).await? {
                    let who = event.target_label.clone().unwrap_or_default();
                    found.push(Finding {
                        kind: AlertKind::AdminMfaRemoved,
                        subject: who.clone(),
                        summary: format!(
                            "{} removed a second factor of {who}, who administers the organisation",
                            event.actor_label
                        ),
                        event_seq: event.seq,
                        target: target_of(event),
                    });
                }
            }
        }
        _ => {}
    }
    if event.actor_id.is_some()
        && outcome == Some(Outcome::Success)
        && is_admin_change(&event.action)
    {
        let hour = i32::try_from(event.occurred_at.hour()).unwrap_or(0);
        let (start, end) = (org.business_hours_start, org.business_hours_end);
        let inside = if start <= end {
            hour >= start && hour < end
        } else {
            hour >= start || hour < end
        };
        if !inside {
            found.push(Finding {
                kind: AlertKind::AfterHoursChange,
                subject: event.actor_label.clone(),
                summary: format!(
                    "{} made an admin change ({}) at {} UTC, outside business hours {start:02}:00–{end:02}:00",
                    event.actor_label,
                    event.action,
                    event.occurred_at.format("%H:%M")
                ),
                event_seq: event.seq,
                target: event
                    .actor_id
                    .map_or_else(Target::default, |id| Target::user(id, event.actor_label.clone())),
            });
        }
    }
    Ok(found)
}

fn target_of(event: &audit_event::Model) -> Target {
    Target {
        kind: event.target_type.clone(),
        id: event.target_id,
        label: event.target_label.clone(),
    }
}

/// Failed sign-ins up to `event` since `since` that also match `extra`.
async fn count_failures<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    event: &audit_event::Model,
    since: DateTime<Utc>,
    extra: sea_orm::sea_query::SimpleExpr,
) -> Result<u64, DbErr> {
    let filter = Filter {
        from: Some(since),
        until: Some(event.occurred_at + Duration::microseconds(1)),
        action: Some(("auth.sign_in".into(), false)),
        outcome: Some("failure".into()),
        ..Filter::default()
    };
    let Some((low, _)) = seq_range(conn, org_id, &filter).await? else {
        return Ok(0);
    };
    audit_event::Entity::find()
        .filter(condition(org_id, &filter))
        .filter(audit_event::Column::Seq.between(low, event.seq))
        .filter(extra)
        .count(conn)
        .await
}

/// Records with personal data the actor saw through the events matching `filter`.
async fn records_viewed<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    filter: &Filter,
    up_to_seq: i64,
) -> Result<u64, DbErr> {
    let Some((low, _)) = seq_range(conn, org_id, filter).await? else {
        return Ok(0);
    };
    let afters: Vec<Option<String>> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::AfterJson)
        .filter(condition(org_id, filter))
        .filter(audit_event::Column::Seq.between(low, up_to_seq))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(afters
        .into_iter()
        .flatten()
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .filter_map(|v| v["records"].as_u64())
        .sum())
}

/// The rate rule: records seen in the last hour against the person's hourly average over the
/// week before.
async fn record_views(
    state: &AppState,
    org_id: i64,
    event: &audit_event::Model,
) -> Result<Option<Finding>, DbErr> {
    let settings = &state.audit;
    let at = event.occurred_at;
    let base = Filter {
        actor: Some(event.actor_label.clone()),
        action: Some(("customer.pii_viewed".into(), false)),
        ..Filter::default()
    };
    let last_hour = records_viewed(
        &state.db,
        org_id,
        &Filter {
            from: Some(at - Duration::hours(1)),
            until: Some(at + Duration::microseconds(1)),
            ..base.clone()
        },
        event.seq,
    )
    .await?;
    if last_hour < settings.alert_record_views_minimum {
        return Ok(None);
    }
    let week = records_viewed(
        &state.db,
        org_id,
        &Filter {
            from: Some(at - Duration::hours(1) - Duration::days(7)),
            until: Some(at - Duration::hours(1)),
            ..base
        },
        event.seq,
    )
    .await?;
    let usual_per_hour = week.div_ceil(7 * 24);
    if last_hour <= usual_per_hour * settings.alert_record_views_factor {
        return Ok(None);
    }
    Ok(Some(Finding {
        kind: AlertKind::RecordViews,
        subject: event.actor_label.clone(),
        summary: format!(
            "{} saw personal data of {last_hour} customer records in an hour; their usual rate is {usual_per_hour} an hour",
            event.actor_label
        ),
        event_seq: event.seq,
        target: event
            .actor_id
            .map_or_else(Target::default, |id| Target::user(id, event.actor_label.clone())),
    }))
}

/// Whether a role (with what it includes) grants every permission of the catalog.
async fn grants_everything<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    role_id: i64,
) -> Result<bool, DbErr> {
    let templated = role::Entity::find_by_id(role_id)
        .filter(role::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .is_some_and(|r| r.template.as_deref() == Some("administrator"));
    if templated {
        return Ok(true);
    }
    let roles = load::load_roles(conn, org_id).await?;
    let closure = crate::server::authz::engine::role_closure(&roles, role_id);
    Ok(closure.len() == Permission::ALL.len())
}

/// Whether the person administers the organisation: holds, now, the power to give roles,
/// change roles, reset factors or change settings.
async fn is_administrator<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(person) = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
    else {
        return Ok(false);
    };
    let graph = load::load_graph(conn, org_id, user_id, &person.display_name).await?;
    let snapshot = Snapshot::build(&graph);
    Ok([
        Permission::RoleAssign,
        Permission::RoleManage,
        Permission::UserManage,
        Permission::SettingsManage,
    ]
    .into_iter()
    .any(|p| snapshot.holds(p, now)))
}

fn row(model: alert::Model) -> AlertRow {
    let kind = AlertKind::parse(&model.kind);
    AlertRow {
        id: model.id,
        title: kind.map_or_else(|| model.kind.clone(), |k| k.label().to_owned()),
        severity: kind.map_or("medium", AlertKind::severity).to_owned(),
        kind: model.kind,
        subject: model.subject,
        summary: model.summary,
        event_seq: model.event_seq,
        raised_at: at(model.raised_at),
        acknowledged: model.acknowledged_at.map(|when| {
            format!(
                "{} by {}",
                at(when),
                model.acknowledged_by_label.unwrap_or_default()
            )
        }),
    }
}

/// Alerts per page.
pub const PAGE_SIZE: u64 = 50;

/// Open alerts (or all of them), newest first. Needs `audit_event.view`.
pub async fn list(
    state: &AppState,
    grant: &Grant<AuditEventView>,
    include_acknowledged: bool,
    before: Option<i64>,
) -> Result<AlertPage, AppError> {
    let org_id = grant.org_id();
    let mut select = alert::Entity::find().filter(alert::Column::OrgId.eq(org_id));
    if !include_acknowledged {
        select = select.filter(alert::Column::AcknowledgedAt.is_null());
    }
    if let Some(before) = before {
        select = select.filter(alert::Column::Id.lt(before));
    }
    let mut rows = select
        .order_by_desc(alert::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await
        .map_err(internal)?;
    let next_before = (rows.len() as u64 > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map_or(0, |r| r.id)
    });
    Ok(AlertPage {
        rows: rows.into_iter().map(row).collect(),
        open: open_count(&state.db, org_id).await.map_err(internal)?,
        next_before,
    })
}

/// How many alerts are not acknowledged.
pub async fn open_count<C: ConnectionTrait>(conn: &C, org_id: i64) -> Result<u64, DbErr> {
    alert::Entity::find()
        .filter(alert::Column::OrgId.eq(org_id))
        .filter(alert::Column::AcknowledgedAt.is_null())
        .count(conn)
        .await
}

/// The newest open alerts, for the dashboard.
pub async fn latest_open<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    limit: u64,
) -> Result<Vec<AlertRow>, DbErr> {
    Ok(alert::Entity::find()
        .filter(alert::Column::OrgId.eq(org_id))
        .filter(alert::Column::AcknowledgedAt.is_null())
        .order_by_desc(alert::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(row)
        .collect())
}

/// Acknowledges open alerts of the organisation, each with its own audit event, in one
/// transaction. Ids of other organisations or already acknowledged alerts are named as not
/// found. Needs `audit_event.manage`.
pub async fn acknowledge(
    state: &AppState,
    grant: &Grant<AuditEventManage>,
    ids: &[i64],
    client: &ClientInfo,
) -> Result<usize, AppError> {
    if ids.is_empty() {
        return Err(AppError::field("ids", "Choose at least one alert."));
    }
    if ids.len() > 500 {
        return Err(AppError::field(
            "ids",
            "Acknowledge at most 500 alerts at once.",
        ));
    }
    let org_id = grant.org_id();
    let now = state.now();
    let principal = grant.principal();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let open = alert::Entity::find()
        .filter(alert::Column::OrgId.eq(org_id))
        .filter(alert::Column::Id.is_in(ids.iter().copied()))
        .filter(alert::Column::AcknowledgedAt.is_null())
        .all(txn.conn())
        .await
        .map_err(internal)?;
    if open.is_empty() {
        txn.rollback().await.map_err(internal)?;
        return Err(AppError::NotFound);
    }
    alert::Entity::update_many()
        .col_expr(alert::Column::AcknowledgedAt, now.into())
        .col_expr(alert::Column::AcknowledgedBy, principal.user_id.into())
        .col_expr(
            alert::Column::AcknowledgedByLabel,
            principal.email.clone().into(),
        )
        .filter(
            Condition::all()
                .add(alert::Column::OrgId.eq(org_id))
                .add(alert::Column::Id.is_in(open.iter().map(|a| a.id)))
                .add(alert::Column::AcknowledgedAt.is_null()),
        )
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    for alert in &open {
        txn.record_change(
            now,
            principal,
            AuditAction::AlertAcknowledged,
            Target::named("alert", alert.id, alert.kind.clone()),
            client,
            Some(serde_json::json!({ "acknowledged": false })),
            Some(serde_json::json!({ "acknowledged": true, "subject": alert.subject })),
        )
        .await
        .map_err(internal)?;
    }
    txn.commit().await.map_err(internal)?;
    Ok(open.len())
}
