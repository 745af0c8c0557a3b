//! Reading the audit log: the filters of `/audit` turned into one database condition,
//! newest-first pages with a sequence-number cursor, one event with its before/after
//! comparison, and the export lines (CSV and NDJSON) that stream the same filter page by page.

use crate::domain::audit::{diff, AuditAction, AuditEventDetail, AuditPage, AuditQuery, AuditRow};
use crate::domain::permission::Permission;
use crate::domain::{AppError, FieldErrors};
use crate::server::authz::{AuditEventView, Grant};
use crate::server::ctx::internal;
use crate::server::entities::audit_event;
use crate::server::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};

/// Rows on one page of the log.
pub const PAGE_SIZE: u64 = 50;

/// The parsed filters of an [`AuditQuery`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    /// An exact code, or a category (codes starting with `category.`).
    pub action: Option<(String, bool)>,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub outcome: Option<String>,
    pub client: Option<String>,
    pub words: Vec<String>,
    /// Only events older than this sequence number.
    pub before: Option<i64>,
}

fn moment(text: &str, end: bool) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = day.and_hms_opt(0, 0, 0)?.and_utc();
        return Some(if end {
            start + Duration::days(1)
        } else {
            start
        });
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            let at = at.and_utc();
            let step = if format.ends_with("%S") {
                Duration::seconds(1)
            } else {
                Duration::minutes(1)
            };
            return Some(if end { at + step } else { at });
        }
    }
    None
}

/// Parses the filters; every unreadable one is named.
pub fn parse(query: &AuditQuery) -> Result<Filter, AppError> {
    let mut errors = FieldErrors::new();
    let mut filter = Filter::default();
    let date_help = "Use a date like 2026-11-25, or a date and time like 2026-11-25T14:30 (UTC).";
    if !query.from.trim().is_empty() {
        match moment(&query.from, false) {
            Some(at) => filter.from = Some(at),
            None => {
                errors.insert("from".into(), date_help.into());
            }
        }
    }
    if !query.to.trim().is_empty() {
        match moment(&query.to, true) {
            Some(at) => filter.until = Some(at),
            None => {
                errors.insert("to".into(), date_help.into());
            }
        }
    }
    if let (Some(from), Some(until)) = (filter.from, filter.until) {
        if until <= from {
            errors.insert("to".into(), "The end must be after the start.".into());
        }
    }
    let action = query.action.trim();
    if !action.is_empty() {
        if AuditAction::parse(action).is_some() {
            filter.action = Some((action.to_owned(), false));
        } else if AuditAction::ALL
            .iter()
            .any(|a| a.code().split('.').next() == Some(action))
        {
            filter.action = Some((action.to_owned(), true));
        } else {
            errors.insert(
                "action".into(),
                "Choose an action or a category from the list.".into(),
            );
        }
    }
    let outcome = query.outcome.trim();
    if !outcome.is_empty() {
        if crate::domain::audit::Outcome::parse(outcome).is_some() {
            filter.outcome = Some(outcome.to_owned());
        } else {
            errors.insert("outcome".into(), "Choose an outcome from the list.".into());
        }
    }
    let target_id = query.target_id.trim();
    if !target_id.is_empty() {
        match target_id.parse::<i64>() {
            Ok(id) if id > 0 => filter.target_id = Some(id),
            _ => {
                errors.insert("target_id".into(), "Enter the target's number.".into());
            }
        }
    }
    let before = query.before.trim();
    if !before.is_empty() {
        match before.parse::<i64>() {
            Ok(seq) if seq > 0 => filter.before = Some(seq),
            _ => {
                errors.insert("before".into(), "That page link is not valid.".into());
            }
        }
    }
    let text = |t: &str, max: usize| {
        let t = t.trim();
        (!t.is_empty()).then(|| t.chars().take(max).collect::<String>())
    };
    filter.actor = text(&query.actor, 300);
    filter.target_type = text(&query.target_type, 40);
    filter.client = text(&query.client, 64);
    filter.words = query
        .q
        .split_whitespace()
        .take(8)
        .map(|w| w.chars().take(100).collect::<String>().to_lowercase())
        .collect();
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(AppError::Validation(errors))
    }
}

fn contains(column: audit_event::Column, word: &str) -> Expr {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(column)))
        .like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// The database condition for `filter` within one organisation.
pub fn condition(org_id: i64, filter: &Filter) -> Condition {
    use audit_event::Column as C;
    let mut all = Condition::all().add(C::OrgId.eq(org_id));
    if let Some(from) = filter.from {
        all = all.add(C::OccurredAt.gte(from));
    }
    if let Some(until) = filter.until {
        all = all.add(C::OccurredAt.lt(until));
    }
    if let Some(actor) = &filter.actor {
        all = all.add(C::ActorLabel.eq(actor.clone()));
    }
    match &filter.action {
        Some((code, false)) => all = all.add(C::Action.eq(code.clone())),
        Some((category, true)) => {
            all = all.add(C::Action.starts_with(format!("{category}.")));
        }
        None => {}
    }
    if let Some(kind) = &filter.target_type {
        all = all.add(C::TargetType.eq(kind.clone()));
    }
    if let Some(id) = filter.target_id {
        all = all.add(C::TargetId.eq(id));
    }
    if let Some(outcome) = &filter.outcome {
        all = all.add(C::Outcome.eq(outcome.clone()));
    }
    if let Some(client) = &filter.client {
        all = all.add(C::ClientAddr.starts_with(client.clone()));
    }
    for word in &filter.words {
        all = all.add(
            Condition::any()
                .add(contains(C::ActorLabel, word))
                .add(contains(C::TargetLabel, word)),
        );
    }
    if let Some(before) = filter.before {
        all = all.add(C::Seq.lt(before));
    }
    all
}

/// Up to `limit` events matching `filter`, newest first.
pub async fn events<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    filter: &Filter,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    use audit_event::Column as C;
    let Some(select) = matching(conn, org_id, filter).await? else {
        return Ok(Vec::new());
    };
    // Two steps in one query: the page's sequence numbers first, then its rows. The first step
    // reads only an index when every filter is on indexed columns (a person's failed sign-ins
    // read from the person's index entries), so the table is read for the page's rows alone
    // and not for each event the filter rejects.
    let page = select
        .select_only()
        .column(C::Seq)
        .order_by_desc(C::Seq)
        .limit(limit)
        .into_query();
    audit_event::Entity::find()
        .filter(C::OrgId.eq(org_id))
        .filter(C::Seq.in_subquery(page))
        .order_by_desc(C::Seq)
        .all(conn)
        .await
}

/// The events matching `filter`, with a time range narrowed to the sequence numbers it can
/// hold; `None` when the range holds no event.
async fn matching<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    filter: &Filter,
) -> Result<Option<sea_orm::Select<audit_event::Entity>>, DbErr> {
    let select = audit_event::Entity::find().filter(condition(org_id, filter));
    if filter.from.is_none() && filter.until.is_none() {
        return Ok(Some(select));
    }
    Ok(seq_range(conn, org_id, filter).await?.map(|(low, high)| {
        select
            .filter(audit_event::Column::Seq.gte(low))
            .filter(audit_event::Column::Seq.lte(high))
    }))
}

/// Events are written in time order under the chain lock, except that a writer reads the
/// clock just before it takes the lock; this many events of slack covers that.
const TIME_ORDER_SLACK: i64 = 1_000;

/// The sequence numbers a time range can hold, found through the time index, so that the page
/// is read from the sequence index instead of scanning every newer event. The time condition
/// still applies: the result is exact.
pub(crate) async fn seq_range<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    filter: &Filter,
) -> Result<Option<(i64, i64)>, DbErr> {
    use audit_event::Column as C;
    let edge = |newest: bool| {
        let mut select = audit_event::Entity::find()
            .select_only()
            .column(C::Seq)
            .filter(C::OrgId.eq(org_id));
        select = match (newest, filter.from, filter.until) {
            (false, Some(from), _) => select.filter(C::OccurredAt.gte(from)),
            (true, _, Some(until)) => select.filter(C::OccurredAt.lt(until)),
            _ => select,
        };
        if newest {
            select.order_by_desc(C::OccurredAt)
        } else {
            select.order_by_asc(C::OccurredAt)
        }
        .limit(1)
        .into_tuple::<i64>()
        .one(conn)
    };
    let (Some(low), Some(high)) = (edge(false).await?, edge(true).await?) else {
        return Ok(None);
    };
    Ok(Some((low - TIME_ORDER_SLACK, high + TIME_ORDER_SLACK)))
}

/// A moment as the audit pages show it, to the second.
pub(crate) fn at(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An event as a row of the log.
pub fn row(event: &audit_event::Model) -> AuditRow {
    AuditRow {
        seq: event.seq,
        occurred_at: at(event.occurred_at),
        actor_id: event.actor_id,
        actor: event.actor_label.clone(),
        action_code: event.action.clone(),
        action_label: AuditAction::parse(&event.action)
            .map_or_else(|| event.action.clone(), |a| a.label().to_owned()),
        target_type: event.target_type.clone(),
        target_id: event.target_id,
        target: event.target_label.clone(),
        outcome: event.outcome.clone(),
        client: event.client_addr.clone(),
    }
}

/// One page of the log. Needs `audit_event.view`.
pub async fn list(
    state: &AppState,
    grant: &Grant<AuditEventView>,
    query: &AuditQuery,
) -> Result<AuditPage, AppError> {
    let filter = parse(query)?;
    let mut rows = events(&state.db, grant.org_id(), &filter, PAGE_SIZE + 1)
        .await
        .map_err(internal)?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok(AuditPage {
        next_before: more.then(|| rows.last().map(|r| r.seq)).flatten(),
        rows: rows.iter().map(row).collect(),
        may_export: grant.access().holds(Permission::AuditEventExport),
    })
}

fn parse_json(text: Option<&str>) -> Option<serde_json::Value> {
    text.map(|t| serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::String(t.into())))
}

/// One event with its comparison. Needs `audit_event.view`.
pub async fn get(
    state: &AppState,
    grant: &Grant<AuditEventView>,
    seq: i64,
) -> Result<AuditEventDetail, AppError> {
    let event = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(grant.org_id()))
        .filter(audit_event::Column::Seq.eq(seq))
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let before = parse_json(event.before_json.as_deref());
    let after = parse_json(event.after_json.as_deref());
    Ok(AuditEventDetail {
        row: row(&event),
        user_agent: event.user_agent.clone(),
        diff: diff(before.as_ref(), after.as_ref()),
        hash: event.hash.clone(),
        prev_hash: event.prev_hash.clone(),
    })
}

/// The CSV header of an export.
pub const CSV_HEADER: &str = "seq,occurred_at,actor_id,actor,action,target_type,target_id,target,outcome,client_addr,user_agent,before,after,prev_hash,hash\r\n";

fn csv_field(out: &mut String, value: Option<&str>) {
    let value = value.unwrap_or_default();
    // Spreadsheets run cells that start with these as formulas.
    let guarded = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if guarded || value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        if guarded {
            out.push('\'');
        }
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// One event as a CSV line (RFC 4180, CRLF).
pub fn csv_line(event: &audit_event::Model) -> String {
    let mut out = String::with_capacity(256);
    let fields: [Option<String>; 15] = [
        Some(event.seq.to_string()),
        Some(event.occurred_at.to_rfc3339()),
        event.actor_id.map(|i| i.to_string()),
        Some(event.actor_label.clone()),
        Some(event.action.clone()),
        event.target_type.clone(),
        event.target_id.map(|i| i.to_string()),
        event.target_label.clone(),
        Some(event.outcome.clone()),
        event.client_addr.clone(),
        event.user_agent.clone(),
        event.before_json.clone(),
        event.after_json.clone(),
        Some(event.prev_hash.clone()),
        Some(event.hash.clone()),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(&mut out, field.as_deref());
    }
    out.push_str("\r\n");
    out
}

/// One event as an NDJSON line.
pub fn ndjson_line(event: &audit_event::Model) -> String {
    let mut line = serde_json::json!({
        "seq": event.seq,
        "occurred_at": event.occurred_at.to_rfc3339(),
        "actor_id": event.actor_id,
        "actor": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target": event.target_label,
        "outcome": event.outcome,
        "client_addr": event.client_addr,
        "user_agent": event.user_agent,
        "before": parse_json(event.before_json.as_deref()),
        "after": parse_json(event.after_json.as_deref()),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    })
    .to_string();
    line.push('\n');
    line
}

/// The organisation's chain head and its latest verification on this replica. Needs
/// `audit_event.view`.
pub async fn integrity(
    state: &AppState,
    grant: &Grant<AuditEventView>,
) -> Result<crate::domain::audit::IntegrityStatus, AppError> {
    let head = crate::server::entities::audit_head::Entity::find_by_id(grant.org_id())
        .one(&state.db)
        .await
        .map_err(internal)?;
    let run = state
        .verifications
        .lock()
        .map_err(|_| internal("verification registry poisoned"))?
        .get(&grant.org_id())
        .cloned();
    let key = state.audit_signing_key.verifying_key();
    let checkpoints = crate::server::services::checkpoint::views(&state.db, grant.org_id(), &key)
        .await
        .map_err(internal)?;
    let mut archives = crate::server::services::retention::list(&state.db, grant.org_id())
        .await
        .map_err(internal)?;
    archives.reverse();
    let retention_days = crate::server::entities::organisation::Entity::find_by_id(grant.org_id())
        .one(&state.db)
        .await
        .map_err(internal)?
        .and_then(|o| o.audit_retention_days);
    Ok(crate::domain::audit::IntegrityStatus {
        head_seq: head.map_or(0, |h| h.seq),
        run,
        checkpoints,
        public_key: crate::server::services::checkpoint::public_key_text(&key),
        archives: archives
            .into_iter()
            .take(30)
            .map(|a| crate::domain::audit::ArchiveView {
                first_seq: a.first_seq,
                last_seq: a.last_seq,
                events: a.events,
                oldest_at: at(a.oldest_at),
                newest_at: at(a.newest_at),
                file_name: a.file_name,
                file_bytes: a.file_bytes,
                last_hash: a.last_hash,
            })
            .collect(),
        retention_days,
    })
}

/// Starts verifying the organisation's whole chain in the background; the integrity page
/// follows its progress. The result is itself audited. Does nothing while one is running.
/// Needs `audit_event.view`.
pub async fn start_verification(
    state: &AppState,
    grant: &Grant<AuditEventView>,
) -> Result<(), AppError> {
    use crate::domain::audit::{Outcome, VerificationRun};
    use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
    let org_id = grant.org_id();
    let principal = grant.principal().clone();
    let total = crate::server::entities::audit_head::Entity::find_by_id(org_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .map_or(0, |h| u64::try_from(h.seq).unwrap_or(0));
    {
        let mut runs = state
            .verifications
            .lock()
            .map_err(|_| internal("verification registry poisoned"))?;
        if runs.get(&org_id).is_some_and(|r| r.intact.is_none()) {
            return Ok(());
        }
        runs.insert(
            org_id,
            VerificationRun {
                started_at: at(state.now()),
                started_by: principal.email.clone(),
                checked: 0,
                total,
                finished_at: None,
                intact: None,
                break_seq: None,
                reason: None,
            },
        );
    }
    let state = state.clone();
    tokio::spawn(async move {
        let registry = state.verifications.clone();
        let key = state.audit_signing_key.verifying_key();
        let archives = state.audit.archive_dir.clone();
        let report = crate::server::services::checkpoint::verify_organisation(
            &state.db,
            org_id,
            &key,
            &[],
            Some(archives.as_path()),
            &|checked| {
                if let Ok(mut runs) = registry.lock() {
                    if let Some(run) = runs.get_mut(&org_id) {
                        run.checked = checked;
                    }
                }
            },
        )
        .await;
        let (intact, break_seq, reason, checked) = match &report {
            Ok(report) => (
                report.first_break.is_none(),
                report.first_break.as_ref().map(|b| b.seq),
                report.first_break.as_ref().map(|b| b.reason.clone()),
                report.events,
            ),
            Err(err) => {
                tracing::error!(error = %err, "audit verification failed to read the chain");
                (
                    false,
                    None,
                    Some("The chain could not be read; see the server log.".into()),
                    0,
                )
            }
        };
        let now = state.now();
        let recorded = async {
            let mut txn = AuditedTxn::begin(&state.db, org_id).await?;
            txn.record(
                now,
                NewEvent {
                    actor: Actor::principal(&principal),
                    action: crate::domain::audit::AuditAction::AuditVerified,
                    target: Target::named("organisation", org_id, &principal.org_name),
                    outcome: if intact {
                        Outcome::Success
                    } else {
                        Outcome::Failure
                    },
                    client: Default::default(),
                    before: None,
                    after: Some(serde_json::json!({
                        "events": checked,
                        "intact": intact,
                        "break_seq": break_seq,
                        "reason": reason,
                    })),
                },
            )
            .await?;
            txn.commit().await
        }
        .await;
        if let Err(err) = recorded {
            tracing::error!(error = %err, "could not record the audit verification");
        }
        if let Ok(mut runs) = registry.lock() {
            if let Some(run) = runs.get_mut(&org_id) {
                run.checked = checked;
                run.finished_at = Some(at(now));
                run.intact = Some(intact);
                run.break_seq = break_seq;
                run.reason = reason;
            }
        };
    });
    Ok(())
}

/// How many events match `filter` (which should hold a time range, so the count reads only the
/// sequence numbers the range can hold).
pub async fn count<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    filter: &Filter,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    match matching(conn, org_id, filter).await? {
        Some(select) => select.count(conn).await,
        None => Ok(0),
    }
}

/// The people with the most events in `filter`'s time range, most active first.
pub async fn top_actors<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    filter: &Filter,
    limit: u64,
) -> Result<Vec<(String, u64)>, DbErr> {
    let Some((low, high)) = seq_range(conn, org_id, filter).await? else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, i64)> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::ActorLabel)
        .column_as(audit_event::Column::Seq.count(), "events")
        .filter(condition(org_id, filter))
        .filter(audit_event::Column::ActorId.is_not_null())
        .filter(audit_event::Column::Seq.between(low, high))
        .group_by(audit_event::Column::ActorLabel)
        .order_by_desc(audit_event::Column::Seq.count())
        .order_by_asc(audit_event::Column::ActorLabel)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(actor, n)| (actor, u64::try_from(n).unwrap_or(0)))
        .collect())
}
