//! The lean read path of chain verification, per backend. On SQLite, decoding millions of rows
//! one by one through the driver costs several microseconds a row (each row crosses from the
//! driver's worker thread separately), so SQLite packs a whole range of events into one JSON
//! array, decoded in one pass with borrowed strings. Building JSON costs PostgreSQL several
//! microseconds a row, and row objects cost us about as much again, so PostgreSQL sends the
//! range as a binary `COPY` stream, decoded in place.

use crate::server::services::audit::{hash_fields, EventFields, Link};
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, RuntimeErr, Statement};
use serde::Deserialize;
use std::borrow::Cow;
use std::sync::Arc;

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
pub async fn read_links(
    db: &DatabaseConnection,
    org_id: i64,
    from: i64,
    until: i64,
) -> Result<Vec<Link>, DbErr> {
    let blocking = |e: tokio::task::JoinError| DbErr::Custom(format!("verification stopped: {e}"));
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let copied = read_copy(db, org_id, from, until).await?;
        return tokio::task::spawn_blocking(move || copied_links(&copied))
            .await
            .map_err(blocking)?;
    }
    let packed = read_packed(db, org_id, from, until).await?;
    tokio::task::spawn_blocking(move || links(&packed))
        .await
        .map_err(blocking)?
}

/// The columns every reader hands to the hash, in the order the binary copy sends them.
const COLUMNS: &str = "org_id, seq, occurred_at, actor_id, actor_label, action, target_type, \
    target_id, target_label, outcome, client_addr, user_agent, before_json, after_json, \
    prev_hash, hash";

/// The range as PostgreSQL's binary `COPY` stream: no per-row protocol messages and no row
/// objects on our side, only length-prefixed fields decoded in place by [`copied_links`].
async fn read_copy(
    db: &DatabaseConnection,
    org_id: i64,
    from: i64,
    until: i64,
) -> Result<Vec<u8>, DbErr> {
    use futures_util::StreamExt;
    use sea_orm::sqlx::postgres::PgPoolCopyExt;
    let failed = |e: sea_orm::sqlx::Error| DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)));
    // COPY takes no parameters; the three numbers are integers formatted here, not user text.
    let statement = format!(
        "COPY (SELECT {COLUMNS} FROM audit_events WHERE org_id = {org_id} AND seq >= {from} \
         AND seq < {until} ORDER BY seq) TO STDOUT (FORMAT binary)"
    );
    let mut stream = db
        .get_postgres_connection_pool()
        .copy_out_raw(&statement)
        .await
        .map_err(failed)?;
    let mut copied = Vec::with_capacity(usize::try_from(until - from).unwrap_or(0) * 512);
    while let Some(chunk) = stream.next().await {
        copied.extend_from_slice(&chunk.map_err(failed)?);
    }
    Ok(copied)
}

/// Microseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01 UTC.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A cursor over PostgreSQL's binary copy format: a signature, flags and an extension, then
/// per row a 16-bit field count and per field a 32-bit length (-1 for NULL) and its bytes, all
/// big-endian, ended by a field count of -1.
struct CopyReader<'a> {
    bytes: &'a [u8],
}

/// What every binary copy stream begins with.
const COPY_SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

impl<'a> CopyReader<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self, String> {
        let rest = bytes
            .strip_prefix(COPY_SIGNATURE)
            .ok_or("the copy stream has no binary signature")?;
        let mut reader = CopyReader { bytes: rest };
        let _flags = reader.take(4)?;
        let extension = reader.int(4)?;
        reader.take(usize::try_from(extension).map_err(|_| "bad header extension")?)?;
        Ok(reader)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err("the copy stream ends inside a row".to_owned());
        }
        let (taken, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(taken)
    }

    /// A big-endian signed integer of `width` bytes (2, 4 or 8).
    fn int(&mut self, width: usize) -> Result<i64, String> {
        let bytes = self.take(width)?;
        Ok(match width {
            2 => i64::from(i16::from_be_bytes([bytes[0], bytes[1]])),
            4 => i64::from(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])),
            _ => i64::from_be_bytes(bytes.try_into().map_err(|_| "bad integer")?),
        })
    }

    /// The number of fields of the next row, or `None` at the end of the stream.
    fn row(&mut self) -> Result<Option<i64>, String> {
        match self.int(2)? {
            -1 => Ok(None),
            fields => Ok(Some(fields)),
        }
    }

    fn field(&mut self) -> Result<Option<&'a [u8]>, String> {
        match self.int(4)? {
            -1 => Ok(None),
            len => Ok(Some(
                self.take(usize::try_from(len).map_err(|_| "bad field length")?)?,
            )),
        }
    }

    fn opt_text(&mut self) -> Result<Option<&'a str>, String> {
        self.field()?
            .map(|bytes| std::str::from_utf8(bytes).map_err(|e| e.to_string()))
            .transpose()
    }

    fn text(&mut self) -> Result<&'a str, String> {
        self.opt_text()?
            .ok_or_else(|| "a required text is NULL".to_owned())
    }

    fn opt_int8(&mut self) -> Result<Option<i64>, String> {
        self.field()?
            .map(|bytes| {
                bytes
                    .try_into()
                    .map(i64::from_be_bytes)
                    .map_err(|_| "an integer is not 8 bytes".to_owned())
            })
            .transpose()
    }

    fn int8(&mut self) -> Result<i64, String> {
        self.opt_int8()?
            .ok_or_else(|| "a required integer is NULL".to_owned())
    }
}

/// One copied event's link, its hash recomputed from fields borrowed from the stream.
fn copied_link(reader: &mut CopyReader<'_>) -> Result<Link, String> {
    let org_id = reader.int8()?;
    let seq = reader.int8()?;
    // timestamptz travels as microseconds since 2000-01-01 UTC.
    let occurred_at_micros = reader.int8()? + POSTGRES_EPOCH_MICROS;
    let fields = EventFields {
        org_id,
        seq,
        occurred_at_micros,
        actor_id: reader.opt_int8()?,
        actor_label: reader.text()?,
        action: reader.text()?,
        target_type: reader.opt_text()?,
        target_id: reader.opt_int8()?,
        target_label: reader.opt_text()?,
        outcome: reader.text()?,
        client_addr: reader.opt_text()?,
        user_agent: reader.opt_text()?,
        before_json: reader.opt_text()?,
        after_json: reader.opt_text()?,
        prev_hash: reader.text()?,
    };
    let hash = reader.text()?;
    Ok(Link {
        seq,
        content_matches: hash_fields(&fields) == hash,
        prev_hash: fields.prev_hash.to_owned(),
        hash: hash.to_owned(),
    })
}

/// Decodes what [`read_copy`] returned and reduces each event to its [`Link`].
fn copied_links(copied: &[u8]) -> Result<Vec<Link>, DbErr> {
    let decode = |e: String| DbErr::Custom(format!("audit events could not be decoded: {e}"));
    let mut reader = CopyReader::new(copied).map_err(decode)?;
    let mut links = Vec::new();
    while let Some(fields) = reader.row().map_err(decode)? {
        if fields != 16 {
            return Err(decode(format!("a row has {fields} fields, not 16")));
        }
        links.push(copied_link(&mut reader).map_err(decode)?);
    }
    Ok(links)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::entities::audit_event;
    use crate::server::services::audit::event_hash;

    fn event() -> audit_event::Model {
        audit_event::Model {
            id: 1,
            org_id: 7,
            seq: 42,
            occurred_at: DateTime::from_timestamp_micros(1_764_500_000_123_456).unwrap(),
            actor_id: Some(3),
            actor_label: "ana@example.com".into(),
            action: "role.assigned".into(),
            target_type: Some("user".into()),
            target_id: None,
            target_label: Some("Bo \"the\" agent ✓".into()),
            outcome: "success".into(),
            client_addr: None,
            user_agent: Some("Mozilla/5.0".into()),
            before_json: None,
            after_json: Some(r#"{"role":"Analyst"}"#.into()),
            prev_hash: "a".repeat(64),
            hash: String::new(),
        }
    }

    /// The event as PostgreSQL's binary copy sends it, written out independently of the reader.
    fn copy_stream(events: &[audit_event::Model]) -> Vec<u8> {
        let mut out = COPY_SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        let int8 = |v: i64| Some(v.to_be_bytes().to_vec());
        let text = |v: &str| Some(v.as_bytes().to_vec());
        let opt_text = |v: &Option<String>| v.as_deref().and_then(text);
        for e in events {
            let fields = [
                int8(e.org_id),
                int8(e.seq),
                int8(e.occurred_at.timestamp_micros() - POSTGRES_EPOCH_MICROS),
                e.actor_id.and_then(int8),
                text(&e.actor_label),
                text(&e.action),
                opt_text(&e.target_type),
                e.target_id.and_then(int8),
                opt_text(&e.target_label),
                text(&e.outcome),
                opt_text(&e.client_addr),
                opt_text(&e.user_agent),
                opt_text(&e.before_json),
                opt_text(&e.after_json),
                text(&e.prev_hash),
                text(&e.hash),
            ];
            out.extend_from_slice(&16i16.to_be_bytes());
            for field in fields {
                match field {
                    Some(bytes) => {
                        out.extend_from_slice(&i32::try_from(bytes.len()).unwrap().to_be_bytes());
                        out.extend_from_slice(&bytes);
                    }
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                }
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    #[test]
    fn a_copied_event_hashes_like_the_stored_model() {
        let mut first = event();
        first.hash = event_hash(&first);
        let mut edited = event();
        edited.seq = 43;
        edited.prev_hash = first.hash.clone();
        edited.hash = event_hash(&edited);
        edited.outcome = "denied".into();
        let links = copied_links(&copy_stream(&[first.clone(), edited.clone()])).unwrap();
        let expected: Vec<Link> = [first, edited].iter().map(Link::of).collect();
        assert_eq!(links, expected);
        assert!(links[0].content_matches);
        assert!(
            !links[1].content_matches,
            "the edited outcome no longer matches its hash"
        );
    }

    #[test]
    fn a_cut_or_garbled_stream_is_an_error_not_a_panic() {
        let mut stored = event();
        stored.hash = event_hash(&stored);
        let stream = copy_stream(&[stored]);
        for cut in 0..stream.len() {
            assert!(copied_links(&stream[..cut]).is_err(), "cut at {cut}");
        }
        let mut garbled = stream.clone();
        // The first field's length, made to point past the end.
        garbled[COPY_SIGNATURE.len() + 10..COPY_SIGNATURE.len() + 14]
            .copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(copied_links(&garbled).is_err());
        let mut wrong_width = stream;
        wrong_width[COPY_SIGNATURE.len() + 13] = 4;
        assert!(copied_links(&wrong_width).is_err());
    }
}
