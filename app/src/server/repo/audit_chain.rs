//! The lean read path of chain verification, per backend. On SQLite, decoding millions of rows
//! one by one through the driver costs several microseconds a row (each row crosses from the
//! driver's worker thread separately), so SQLite packs a whole range of events into one JSON
//! array, decoded in one pass with borrowed strings. PostgreSQL's rows arrive in one buffered
//! stream and are cheap to decode by position, while building JSON costs it several
//! microseconds a row, so there plain rows are read.

use crate::server::entities::audit_event;
use crate::server::services::audit::{hash_fields, EventFields, Link};
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};
use serde::Deserialize;
use std::borrow::Cow;

const SQLITE: &str = "SELECT json_group_array(json_array(org_id, seq, occurred_at, actor_id, \
    actor_label, action, target_type, target_id, target_label, outcome, client_addr, user_agent, \
    before_json, after_json, prev_hash, hash)) FROM (SELECT * FROM audit_events \
    WHERE org_id = ? AND seq >= ? AND seq < ? ORDER BY seq)";

/// A moment as SQLite packs it: the stored text (or microseconds, should it ever be stored so).
#[derive(Deserialize)]
#[serde(untagged)]
enum Moment {
    Micros(i64),
    Text(String),
}

impl Moment {
    fn parse(self) -> Option<DateTime<Utc>> {
        match self {
            Moment::Micros(micros) => DateTime::from_timestamp_micros(micros),
            Moment::Text(text) => DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f%:z")
                        .map(|t| t.with_timezone(&Utc))
                        .ok()
                })
                .or_else(|| {
                    NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f")
                        .map(|t| t.and_utc())
                        .ok()
                }),
        }
    }
}

/// One packed event, borrowing its text from the packed JSON where it holds no escapes.
#[derive(Deserialize)]
struct Packed<'a>(
    i64,
    i64,
    Moment,
    Option<i64>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    Option<i64>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
);

/// The organisation's events with sequence numbers `from..until`, reduced to their [`Link`]s
/// (hashes recomputed on the blocking pool).
pub async fn read_links<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    from: i64,
    until: i64,
) -> Result<Vec<Link>, DbErr> {
    let blocking = |e: tokio::task::JoinError| DbErr::Custom(format!("verification stopped: {e}"));
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        let rows = read_rows(conn, org_id, from, until).await?;
        return tokio::task::spawn_blocking(move || rows.iter().map(Link::of).collect())
            .await
            .map_err(blocking);
    }
    let packed = read_packed(conn, org_id, from, until).await?;
    tokio::task::spawn_blocking(move || links(&packed))
        .await
        .map_err(blocking)?
}

const POSTGRES_ROWS: &str = "SELECT org_id, seq, occurred_at, actor_id, actor_label, action, \
    target_type, target_id, target_label, outcome, client_addr, user_agent, before_json, \
    after_json, prev_hash, hash FROM audit_events WHERE org_id = $1 AND seq >= $2 AND seq < $3 \
    ORDER BY seq";

/// Plain rows, decoded by position.
async fn read_rows<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    from: i64,
    until: i64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            POSTGRES_ROWS,
            [org_id.into(), from.into(), until.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(audit_event::Model {
                id: 0,
                org_id: row.try_get_by_index(0)?,
                seq: row.try_get_by_index(1)?,
                occurred_at: row.try_get_by_index(2)?,
                actor_id: row.try_get_by_index(3)?,
                actor_label: row.try_get_by_index(4)?,
                action: row.try_get_by_index(5)?,
                target_type: row.try_get_by_index(6)?,
                target_id: row.try_get_by_index(7)?,
                target_label: row.try_get_by_index(8)?,
                outcome: row.try_get_by_index(9)?,
                client_addr: row.try_get_by_index(10)?,
                user_agent: row.try_get_by_index(11)?,
                before_json: row.try_get_by_index(12)?,
                after_json: row.try_get_by_index(13)?,
                prev_hash: row.try_get_by_index(14)?,
                hash: row.try_get_by_index(15)?,
            })
        })
        .collect()
}

/// The organisation's events with sequence numbers `from..until`, in order, as packed JSON.
async fn read_packed<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    from: i64,
    until: i64,
) -> Result<String, DbErr> {
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            SQLITE,
            [org_id.into(), from.into(), until.into()],
        ))
        .await?;
    match row {
        Some(row) => Ok(row
            .try_get_by_index::<Option<String>>(0)?
            .unwrap_or_default()),
        None => Ok(String::new()),
    }
}

/// Decodes what [`read_packed`] returned and reduces each event to its [`Link`], recomputing
/// its hash from the borrowed fields.
fn links(packed: &str) -> Result<Vec<Link>, DbErr> {
    if packed.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Packed<'_>> = serde_json::from_str(packed)
        .map_err(|e| DbErr::Custom(format!("audit events could not be decoded: {e}")))?;
    let mut links = rows
        .into_iter()
        .map(|r| {
            let micros =
                r.2.parse()
                    .ok_or_else(|| {
                        DbErr::Custom(format!("the time of audit event {} cannot be read", r.1))
                    })?
                    .timestamp_micros();
            let computed = hash_fields(&EventFields {
                org_id: r.0,
                seq: r.1,
                occurred_at_micros: micros,
                actor_id: r.3,
                actor_label: &r.4,
                action: &r.5,
                target_type: r.6.as_deref(),
                target_id: r.7,
                target_label: r.8.as_deref(),
                outcome: &r.9,
                client_addr: r.10.as_deref(),
                user_agent: r.11.as_deref(),
                before_json: r.12.as_deref(),
                after_json: r.13.as_deref(),
                prev_hash: &r.14,
            });
            Ok(Link {
                seq: r.1,
                content_matches: computed == r.15,
                prev_hash: r.14.into_owned(),
                hash: r.15.into_owned(),
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    // The order of an aggregate over an ordered subquery is SQLite's behaviour, not a promise.
    links.sort_by_key(|l| l.seq);
    Ok(links)
}
