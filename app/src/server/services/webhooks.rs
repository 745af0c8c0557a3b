//! Streaming the audit log to a SIEM. The queue is the audit log itself: each sink keeps the
//! sequence number up to which its receiver accepted events, so a receiver that is down for an
//! hour (or a week) loses nothing, and events reach it in chain order, one batch in flight at a
//! time. Each POST is signed with HMAC-SHA256 over the timestamp and the body; a failed batch
//! is retried with doubling waits; a batch whose answer was lost is sent again, so delivery is
//! at least once and receivers deduplicate by the event `id`.

use crate::domain::audit::{AuditAction, AuditOperations, WebhookRow};
use crate::domain::AppError;
use crate::server::authz::{AuditEventManage, Grant};
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{audit_event, audit_head, organisation, webhook_sink};
use crate::server::services::audit::{AuditedTxn, Target};
use crate::server::services::audit_log::at;
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a replica holds a sink while it delivers a batch.
const LEASE_SECONDS: i64 = 60;
/// Batches one sink may send in one run, so a backlog drains quickly without starving others.
const BATCHES_PER_RUN: usize = 20;

/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "x-castellan-signature";

/// The form that adds a sink.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSink {
    pub name: String,
    pub url: String,
    /// `all` or `alerts`.
    pub events: String,
    /// Also send the events already in the database, not only new ones.
    pub from_start: bool,
}

/// The signature of a delivery: what receivers recompute with their copy of the secret.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a receiver address: http(s), a host, and no private or loopback address unless the
/// deployment allows it (a sink must not become a way to reach inside the network).
pub fn parse_url(text: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|_| "Enter a full address, like https://siem.example.com/castellan.".to_owned())?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err("Use https: events must not travel in clear text.".into()),
        _ => return Err("The address must start with https://.".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("Put no credentials in the address; the signature authenticates us.".into());
    }
    let private = match url.host() {
        None => return Err("The address has no host.".into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => is_internal(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_internal(std::net::IpAddr::V6(ip)),
    };
    if private && !allow_private {
        return Err("Private and loopback addresses are not allowed for webhooks here.".into());
    }
    Ok(url)
}

/// Whether an address points inside a network rather than at a public receiver: loopback,
/// private, link-local, shared (carrier-grade NAT), unspecified or broadcast, also when an IPv6
/// address carries an IPv4 one.
pub fn is_internal(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 0
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_internal(IpAddr::V4(v4)),
            None => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        },
    }
}

/// Resolves receiver host names for the webhook client and keeps only public addresses, so a
/// name that points (or is re-pointed after the sink was saved) at an internal address cannot
/// turn a sink into a way into the network. Literal addresses are checked by [`parse_url`].
pub struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|address| !is_internal(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(InternalReceiver {
                    host,
                    resolved: resolved.len(),
                }) as _);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A receiver name with no public address.
#[derive(Debug)]
pub struct InternalReceiver {
    host: String,
    resolved: usize,
}

impl std::fmt::Display for InternalReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.resolved == 0 {
            write!(f, "{} has no address", self.host)
        } else {
            write!(f, "{} resolves only to internal addresses", self.host)
        }
    }
}

impl std::error::Error for InternalReceiver {}

/// Whether a failed request was refused by [`PublicAddressesOnly`].
fn refused_as_internal(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<InternalReceiver>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The client webhooks are posted with: no redirects, short timeouts and, unless the
/// deployment allows private receivers, only public addresses.
pub fn client(allow_private: bool) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(15))
        .user_agent("castellan-webhooks/1");
    let builder = if allow_private {
        builder
    } else {
        builder.dns_resolver(std::sync::Arc::new(PublicAddressesOnly))
    };
    builder.build().unwrap_or_default()
}

/// Retention, business hours and sinks of the organisation. Needs `audit_event.manage`.
pub async fn operations(
    state: &AppState,
    grant: &Grant<AuditEventManage>,
) -> Result<AuditOperations, AppError> {
    let org_id = grant.org_id();
    let org = organisation::Entity::find_by_id(org_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let head = audit_head::Entity::find_by_id(org_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .map_or(0, |h| h.seq);
    let sinks = webhook_sink::Entity::find()
        .filter(webhook_sink::Column::OrgId.eq(org_id))
        .order_by_asc(webhook_sink::Column::Name)
        .all(&state.db)
        .await
        .map_err(internal)?;
    Ok(AuditOperations {
        retention_days: org.audit_retention_days,
        business_hours_start: org.business_hours_start,
        business_hours_end: org.business_hours_end,
        sinks: sinks
            .into_iter()
            .map(|s| WebhookRow {
                id: s.id,
                behind: (head - s.delivered_seq).max(0),
                name: s.name,
                url: s.url,
                events: s.events,
                enabled: s.enabled,
                delivered_seq: s.delivered_seq,
                failures: s.failures,
                next_attempt_at: at(s.next_attempt_at),
                last_error: s.last_error,
                last_success_at: s.last_success_at.map(at),
            })
            .collect(),
    })
}

/// Adds a sink and returns its id and its signing secret, which is shown once. Needs
/// `audit_event.manage`.
pub async fn create(
    state: &AppState,
    grant: &Grant<AuditEventManage>,
    form: &NewSink,
    client: &ClientInfo,
) -> Result<(i64, String), AppError> {
    let mut errors = crate::domain::FieldErrors::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.insert(
            "name".into(),
            "Give the sink a name of 1 to 100 characters.".into(),
        );
    }
    if form.url.trim().chars().count() > 500 {
        errors.insert(
            "url".into(),
            "The address is too long (500 characters at most).".into(),
        );
    } else if let Err(why) = parse_url(&form.url, state.audit.webhook_allow_private) {
        errors.insert("url".into(), why);
    }
    if !matches!(form.events.as_str(), "all" | "alerts") {
        errors.insert("events".into(), "Choose every event or alerts only.".into());
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let org_id = grant.org_id();
    let now = state.now();
    let secret = crate::server::password::random_token(32);
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let (head, _) = txn.head();
    let row = webhook_sink::Entity::insert(webhook_sink::ActiveModel {
        org_id: Set(org_id),
        name: Set(name.to_owned()),
        url: Set(form.url.trim().to_owned()),
        events: Set(form.events.clone()),
        secret_enc: Set(state.secrets.seal(secret.as_bytes())),
        enabled: Set(true),
        delivered_seq: Set(if form.from_start { 0 } else { head }),
        failures: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(txn.conn())
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::field("name", "A sink with this name exists.")
        }
        _ => internal(e),
    })?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::WebhookCreated,
        Target::named("webhook", row.id, name),
        client,
        None,
        Some(serde_json::json!({
            "name": row.name, "url": row.url, "events": row.events,
            "from_seq": row.delivered_seq + 1,
        })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok((row.id, secret))
}

/// Pauses or resumes a sink. A resumed sink goes on from where it stopped. Needs
/// `audit_event.manage`.
pub async fn set_enabled(
    state: &AppState,
    grant: &Grant<AuditEventManage>,
    id: i64,
    enabled: bool,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let sink = find(&txn, org_id, id).await?;
    webhook_sink::Entity::update_many()
        .col_expr(webhook_sink::Column::Enabled, enabled.into())
        .col_expr(webhook_sink::Column::Failures, 0.into())
        .col_expr(webhook_sink::Column::NextAttemptAt, now.into())
        .filter(webhook_sink::Column::Id.eq(id))
        .filter(webhook_sink::Column::OrgId.eq(org_id))
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::WebhookUpdated,
        Target::named("webhook", id, &sink.name),
        client,
        Some(serde_json::json!({ "enabled": sink.enabled })),
        Some(serde_json::json!({ "enabled": enabled })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

/// Deletes a sink. Needs `audit_event.manage`.
pub async fn delete(
    state: &AppState,
    grant: &Grant<AuditEventManage>,
    id: i64,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let org_id = grant.org_id();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let sink = find(&txn, org_id, id).await?;
    webhook_sink::Entity::delete_many()
        .filter(webhook_sink::Column::Id.eq(id))
        .filter(webhook_sink::Column::OrgId.eq(org_id))
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::WebhookDeleted,
        Target::named("webhook", id, &sink.name),
        client,
        Some(serde_json::json!({
            "name": sink.name, "url": sink.url, "events": sink.events,
            "delivered_seq": sink.delivered_seq,
        })),
        None,
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

async fn find(txn: &AuditedTxn, org_id: i64, id: i64) -> Result<webhook_sink::Model, AppError> {
    webhook_sink::Entity::find_by_id(id)
        .filter(webhook_sink::Column::OrgId.eq(org_id))
        .one(txn.conn())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

/// One event as delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveredEvent {
    /// Unique and stable: `<organisation>:<sequence number>`. Receivers deduplicate by it.
    pub id: String,
    pub seq: i64,
    pub occurred_at: String,
    pub actor: String,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub target: Option<String>,
    pub outcome: String,
    pub client_addr: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub hash: String,
    pub prev_hash: String,
}

/// The body of one delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub organisation: i64,
    pub sink: String,
    pub events: Vec<DeliveredEvent>,
}

fn delivered(event: audit_event::Model) -> DeliveredEvent {
    let json = |t: Option<String>| t.and_then(|t| serde_json::from_str(&t).ok());
    DeliveredEvent {
        id: format!("{}:{}", event.org_id, event.seq),
        seq: event.seq,
        occurred_at: event
            .occurred_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        actor: event.actor_label,
        actor_id: event.actor_id,
        action: event.action,
        target_type: event.target_type,
        target_id: event.target_id,
        target: event.target_label,
        outcome: event.outcome,
        client_addr: event.client_addr,
        before: json(event.before_json),
        after: json(event.after_json),
        hash: event.hash,
        prev_hash: event.prev_hash,
    }
}

/// The wait before attempt `failures + 1`: 1 s, 2 s, 4 s, … up to the configured maximum.
pub fn backoff(failures: i32, max_seconds: i64) -> Duration {
    let exponent = u32::try_from(failures.clamp(1, 30) - 1).unwrap_or(0);
    Duration::seconds(2i64.saturating_pow(exponent).min(max_seconds.max(1)))
}

/// Delivers what is due to every enabled sink of every organisation. Returns the number of
/// events accepted by receivers.
pub async fn deliver_due(state: &AppState) -> Result<u64, DbErr> {
    let now = state.now();
    let due = webhook_sink::Entity::find()
        .filter(webhook_sink::Column::Enabled.eq(true))
        .filter(webhook_sink::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(webhook_sink::Column::LeaseUntil.is_null())
                .add(webhook_sink::Column::LeaseUntil.lt(now)),
        )
        .all(&state.db)
        .await?;
    let mut accepted = 0;
    for sink in due {
        accepted += deliver_sink(state, sink).await?;
    }
    Ok(accepted)
}

async fn deliver_sink(state: &AppState, sink: webhook_sink::Model) -> Result<u64, DbErr> {
    let now = state.now();
    // Take the lease: only one replica delivers to a sink at a time, so batches stay in order.
    let claimed = webhook_sink::Entity::update_many()
        .col_expr(
            webhook_sink::Column::LeaseUntil,
            (now + Duration::seconds(LEASE_SECONDS)).into(),
        )
        .filter(webhook_sink::Column::Id.eq(sink.id))
        .filter(webhook_sink::Column::DeliveredSeq.eq(sink.delivered_seq))
        .filter(
            Condition::any()
                .add(webhook_sink::Column::LeaseUntil.is_null())
                .add(webhook_sink::Column::LeaseUntil.lt(now)),
        )
        .exec(&state.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(0);
    }
    let secret = match state.secrets.open(&sink.secret_enc) {
        Ok(secret) => secret,
        Err(why) => {
            tracing::error!(sink = sink.id, "webhook secret cannot be opened: {why}");
            release(
                state,
                &sink,
                sink.delivered_seq,
                Err("the signing secret cannot be read (was the secrets key changed?)".into()),
            )
            .await?;
            return Ok(0);
        }
    };
    let mut delivered_seq = sink.delivered_seq;
    let mut accepted = 0u64;
    for _ in 0..BATCHES_PER_RUN {
        let head = audit_head::Entity::find_by_id(sink.org_id)
            .one(&state.db)
            .await?
            .map_or(0, |h| h.seq);
        if head <= delivered_seq {
            break;
        }
        let mut select = audit_event::Entity::find()
            .filter(audit_event::Column::OrgId.eq(sink.org_id))
            .filter(audit_event::Column::Seq.gt(delivered_seq))
            .filter(audit_event::Column::Seq.lte(head));
        if sink.events == "alerts" {
            select = select.filter(audit_event::Column::Action.eq(AuditAction::AlertRaised.code()));
        }
        let events = select
            .order_by_asc(audit_event::Column::Seq)
            .limit(state.audit.webhook_batch)
            .all(&state.db)
            .await?;
        let full = events.len() as u64 == state.audit.webhook_batch;
        // A batch that is not full covers everything up to the head read before it.
        let through = if full {
            events.last().map_or(head, |e| e.seq)
        } else {
            head
        };
        if !events.is_empty() {
            let count = events.len() as u64;
            let body = serde_json::to_vec(&Delivery {
                organisation: sink.org_id,
                sink: sink.name.clone(),
                events: events.into_iter().map(delivered).collect(),
            })
            .map_err(|e| DbErr::Custom(e.to_string()))?;
            if let Err(why) = post(state, &sink, &secret, body, delivered_seq, through).await {
                release(state, &sink, delivered_seq, Err(why)).await?;
                return Ok(accepted);
            }
            accepted += count;
        }
        delivered_seq = through;
        // Keep the lease while the backlog drains.
        webhook_sink::Entity::update_many()
            .col_expr(webhook_sink::Column::DeliveredSeq, delivered_seq.into())
            .col_expr(
                webhook_sink::Column::LeaseUntil,
                (state.now() + Duration::seconds(LEASE_SECONDS)).into(),
            )
            .filter(webhook_sink::Column::Id.eq(sink.id))
            .exec(&state.db)
            .await?;
        if !full {
            break;
        }
    }
    release(state, &sink, delivered_seq, Ok(accepted > 0)).await?;
    Ok(accepted)
}

async fn post(
    state: &AppState,
    sink: &webhook_sink::Model,
    secret: &[u8],
    body: Vec<u8>,
    from: i64,
    through: i64,
) -> Result<(), String> {
    let timestamp = state.now().timestamp();
    let signed = signature(secret, timestamp, &body);
    let response = state
        .webhook_client
        .post(&sink.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, format!("t={timestamp},v1={signed}"))
        .header(
            "x-castellan-delivery",
            format!("{}:{}-{}", sink.org_id, from + 1, through),
        )
        .body(body)
        .send()
        .await
        // The error text of reqwest can carry the URL, not secrets; keep it short.
        .map_err(|e| {
            if refused_as_internal(&e) {
                "the receiver's name resolves only to internal addresses".to_owned()
            } else if e.is_timeout() {
                "the receiver did not answer in time".to_owned()
            } else if e.is_connect() {
                "could not connect to the receiver".to_owned()
            } else {
                "the request failed".to_owned()
            }
        })?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "the receiver answered HTTP {}",
            response.status().as_u16()
        ))
    }
}

/// Ends a run: frees the lease, and on failure schedules the next attempt with backoff.
async fn release(
    state: &AppState,
    sink: &webhook_sink::Model,
    delivered_seq: i64,
    result: Result<bool, String>,
) -> Result<(), DbErr> {
    let now = state.now();
    let mut update = webhook_sink::Entity::update_many()
        .col_expr(
            webhook_sink::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(webhook_sink::Column::DeliveredSeq, delivered_seq.into());
    update = match result {
        Ok(any) => {
            let mut update = update
                .col_expr(webhook_sink::Column::Failures, 0.into())
                .col_expr(webhook_sink::Column::NextAttemptAt, now.into())
                .col_expr(
                    webhook_sink::Column::LastError,
                    Expr::value(Option::<String>::None),
                );
            if any {
                update = update.col_expr(webhook_sink::Column::LastSuccessAt, now.into());
            }
            update
        }
        Err(why) => {
            let failures = sink.failures.saturating_add(1);
            tracing::warn!(sink = sink.id, failures, "webhook delivery failed: {why}");
            update
                .col_expr(webhook_sink::Column::Failures, failures.into())
                .col_expr(
                    webhook_sink::Column::NextAttemptAt,
                    (now + backoff(failures, state.audit.webhook_max_backoff_seconds)).into(),
                )
                .col_expr(webhook_sink::Column::LastError, Some(why).into())
        }
    };
    update
        .filter(webhook_sink::Column::Id.eq(sink.id))
        .exec(&state.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_must_be_public_https_unless_allowed() {
        assert!(parse_url("https://siem.example.com/in", false).is_ok());
        assert!(parse_url("http://siem.example.com/in", false).is_err());
        assert!(parse_url("https://127.0.0.1/in", false).is_err());
        assert!(parse_url("https://10.1.2.3/in", false).is_err());
        assert!(parse_url("https://[::1]/in", false).is_err());
        assert!(parse_url("https://localhost/in", false).is_err());
        assert!(parse_url("https://LocalHost./in", false).is_err());
        assert!(parse_url("https://user:pw@siem.example.com/", false).is_err());
        assert!(parse_url("ftp://siem.example.com/", true).is_err());
        assert!(parse_url("siem.example.com", true).is_err());
        assert!(parse_url("http://127.0.0.1:9000/in", true).is_ok());
        assert!(parse_url("https://[::ffff:10.0.0.1]/in", false).is_err());
        assert!(parse_url("https://100.64.0.9/in", false).is_err());
        assert!(parse_url("https://169.254.169.254/latest", false).is_err());
        assert!(parse_url("https://100.128.0.9/in", false).is_ok());
    }

    #[test]
    fn internal_addresses_are_told_from_public_ones() {
        for internal in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:192.168.1.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    /// A name that resolves to loopback is refused when the client connects, whatever the
    /// address check let through when the sink was saved; with private receivers allowed, the
    /// same request reaches the listener.
    #[tokio::test]
    async fn names_that_resolve_inside_the_network_are_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://localhost:{port}/in");
        let refused = client(false)
            .post(&url)
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert!(refused_as_internal(&refused), "{refused:?}");
        let accepted = tokio::spawn(async move { listener.accept().await.is_ok() });
        // The allowed client connects; its request is never answered, so it times out or is
        // dropped, but the listener saw the connection.
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            client(true).post(&url).body("{}").send(),
        )
        .await;
        assert!(accepted.await.unwrap());
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let waits: Vec<i64> = (1..=10).map(|f| backoff(f, 60).num_seconds()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_and_body() {
        let sig = signature(b"key", 1_700_000_000, b"{}");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"key").unwrap();
        mac.update(b"1700000000.{}");
        assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
        assert_ne!(sig, signature(b"other", 1_700_000_000, b"{}"));
    }
}
