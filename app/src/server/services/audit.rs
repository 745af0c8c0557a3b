//! The audit chain: every write transaction appends its events here, hash-chained per
//! organisation, in the same transaction as the change it describes.

use crate::domain::audit::{AuditAction, Outcome};
use crate::server::ctx::ClientInfo;
use crate::server::entities::{audit_archive, audit_event, audit_head};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use sha2::{Digest, Sha256};

/// The hash that precedes an organisation's first event.
/// Changes take the write lock when they begin (SQLite `BEGIN IMMEDIATE`; PostgreSQL ignores it),
/// so a transaction that reads before it writes waits its turn instead of failing when another
/// writer commits first.
const WRITE: sea_orm::TransactionOptions = sea_orm::TransactionOptions {
    isolation_level: None,
    access_mode: None,
    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub label: String,
}

impl Actor {
    pub fn user(id: i64, label: impl Into<String>) -> Self {
        Actor {
            id: Some(id),
            label: label.into(),
        }
    }

    /// The signed-in principal.
    pub fn principal(principal: &crate::server::Principal) -> Self {
        Actor::user(principal.user_id, principal.email.clone())
    }

    pub fn system(label: impl Into<String>) -> Self {
        Actor {
            id: None,
            label: label.into(),
        }
    }
}

/// What an event was about.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kind: Option<String>,
    pub id: Option<i64>,
    pub label: Option<String>,
}

impl Target {
    pub fn user(id: i64, label: impl Into<String>) -> Self {
        Target {
            kind: Some("user".into()),
            id: Some(id),
            label: Some(label.into()),
        }
    }

    /// Any row of the organisation: a role, a team, a ticket.
    pub fn record(kind: &str, id: i64) -> Self {
        Target {
            kind: Some(kind.into()),
            id: Some(id),
            label: None,
        }
    }

    /// A row with the name it had at the time.
    pub fn named(kind: &str, id: i64, label: impl Into<String>) -> Self {
        Target {
            kind: Some(kind.into()),
            id: Some(id),
            label: Some(label.into()),
        }
    }

    pub fn labelled(kind: &str, label: impl Into<String>) -> Self {
        Target {
            kind: Some(kind.into()),
            id: None,
            label: Some(label.into()),
        }
    }
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor: Actor,
    pub action: AuditAction,
    pub target: Target,
    pub outcome: Outcome,
    pub client: ClientInfo,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A transaction that holds its organisation's audit chain head: changes made through `conn()`
/// commit only together with the events recorded on it.
pub struct AuditedTxn {
    txn: DatabaseTransaction,
    org_id: i64,
    seq: i64,
    hash: String,
    recorded: usize,
}

impl AuditedTxn {
    /// Begins a transaction and takes the organisation's chain head. Taking the head is the
    /// first statement and a write, so concurrent writers queue here (a row lock on
    /// PostgreSQL, the write lock on SQLite) instead of failing later.
    pub async fn begin(db: &DatabaseConnection, org_id: i64) -> Result<Self, DbErr> {
        let txn = db.begin_with_options(WRITE).await?;
        audit_head::Entity::insert(audit_head::ActiveModel {
            org_id: Set(org_id),
            seq: Set(0),
            hash: Set(GENESIS_HASH.to_owned()),
        })
        .on_conflict(
            OnConflict::column(audit_head::Column::OrgId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::Seq, Expr::col(audit_head::Column::Seq))
            .filter(audit_head::Column::OrgId.eq(org_id))
            .exec(&txn)
            .await?;
        let head = audit_head::Entity::find_by_id(org_id)
            .one(&txn)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("audit head".into()))?;
        Ok(AuditedTxn {
            txn,
            org_id,
            seq: head.seq,
            hash: head.hash,
            recorded: 0,
        })
    }

    /// Begins a transaction that creates an organisation and starts its chain, so the new
    /// organisation and its first events commit together or not at all.
    pub async fn begin_new_organisation(
        db: &DatabaseConnection,
        organisation: crate::server::entities::organisation::ActiveModel,
    ) -> Result<(Self, crate::server::entities::organisation::Model), DbErr> {
        use sea_orm::ActiveModelTrait;
        let txn = db.begin_with_options(WRITE).await?;
        let org = organisation.insert(&txn).await?;
        audit_head::Entity::insert(audit_head::ActiveModel {
            org_id: Set(org.id),
            seq: Set(0),
            hash: Set(GENESIS_HASH.to_owned()),
        })
        .exec_without_returning(&txn)
        .await?;
        let chain = AuditedTxn {
            txn,
            org_id: org.id,
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
            recorded: 0,
        };
        Ok((chain, org))
    }

    /// The connection on which the change itself is made.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn org_id(&self) -> i64 {
        self.org_id
    }

    /// The chain head as this transaction sees it: the last sequence number and its hash.
    pub fn head(&self) -> (i64, String) {
        (self.seq, self.hash.clone())
    }

    /// Gives up the transaction and everything done in it.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }

    /// Whether anything was recorded yet.
    pub fn has_events(&self) -> bool {
        self.recorded > 0
    }

    /// Appends one event to the chain.
    pub async fn record(&mut self, at: DateTime<Utc>, event: NewEvent) -> Result<(), DbErr> {
        let seq = self.seq + 1;
        let mut row = audit_event::Model {
            id: 0,
            org_id: self.org_id,
            seq,
            occurred_at: crate::server::state::truncate_to_micros(at),
            actor_id: event.actor.id,
            actor_label: clip(&event.actor.label, 300),
            action: event.action.code().to_owned(),
            target_type: event.target.kind,
            target_id: event.target.id,
            target_label: event.target.label.map(|l| clip(&l, 300)),
            outcome: event.outcome.code().to_owned(),
            client_addr: event.client.address.map(|a| clip(&a, 64)),
            user_agent: event.client.user_agent.map(|u| clip(&u, 300)),
            before_json: event.before.map(|v| v.to_string()),
            after_json: event.after.map(|v| v.to_string()),
            prev_hash: self.hash.clone(),
            hash: String::new(),
        };
        row.hash = event_hash(&row);
        let hash = row.hash.clone();
        let mut active: audit_event::ActiveModel = row.into();
        active.id = sea_orm::ActiveValue::NotSet;
        audit_event::Entity::insert(active)
            .exec_without_returning(&self.txn)
            .await?;
        self.seq = seq;
        self.hash = hash;
        self.recorded += 1;
        Ok(())
    }

    /// Appends the event of a successful change made by `principal`: the common case of
    /// every console write.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_change(
        &mut self,
        at: DateTime<Utc>,
        principal: &crate::server::Principal,
        action: AuditAction,
        target: Target,
        client: &ClientInfo,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), DbErr> {
        self.record(
            at,
            NewEvent {
                actor: Actor::principal(principal),
                action,
                target,
                outcome: Outcome::Success,
                client: client.clone(),
                before,
                after,
            },
        )
        .await
    }

    /// Commits a transaction that changed only operational bookkeeping (a cursor), which no
    /// person did and no event describes. The chain head is untouched.
    pub async fn commit_without_events(self) -> Result<(), DbErr> {
        if self.recorded > 0 {
            return self.commit().await;
        }
        self.txn.commit().await
    }

    /// Moves the chain head and commits. A transaction that recorded nothing is refused: every
    /// write is audited.
    pub async fn commit(self) -> Result<(), DbErr> {
        if self.recorded == 0 {
            self.txn.rollback().await?;
            return Err(DbErr::Custom(
                "a write transaction recorded no audit event".into(),
            ));
        }
        audit_head::Entity::update_many()
            .col_expr(audit_head::Column::Seq, Expr::value(self.seq))
            .col_expr(audit_head::Column::Hash, Expr::value(self.hash.clone()))
            .filter(audit_head::Column::OrgId.eq(self.org_id))
            .exec(&self.txn)
            .await?;
        self.txn.commit().await
    }
}

/// The first `max_chars` characters of `text`.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// The SHA-256 over every stored field of an event and the previous hash, in a fixed order.
pub fn event_hash(row: &audit_event::Model) -> String {
    hash_fields(&EventFields {
        org_id: row.org_id,
        seq: row.seq,
        occurred_at_micros: row.occurred_at.timestamp_micros(),
        actor_id: row.actor_id,
        actor_label: &row.actor_label,
        action: &row.action,
        target_type: row.target_type.as_deref(),
        target_id: row.target_id,
        target_label: row.target_label.as_deref(),
        outcome: &row.outcome,
        client_addr: row.client_addr.as_deref(),
        user_agent: row.user_agent.as_deref(),
        before_json: row.before_json.as_deref(),
        after_json: row.after_json.as_deref(),
        prev_hash: &row.prev_hash,
    })
}

/// The hashed fields of an event, borrowed, in hash order.
#[derive(Debug, Clone, Copy)]
pub struct EventFields<'a> {
    pub org_id: i64,
    pub seq: i64,
    pub occurred_at_micros: i64,
    pub actor_id: Option<i64>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<i64>,
    pub target_label: Option<&'a str>,
    pub outcome: &'a str,
    pub client_addr: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub before_json: Option<&'a str>,
    pub after_json: Option<&'a str>,
    pub prev_hash: &'a str,
}

/// SHA-256 of the fields as a JSON array, hex.
pub fn hash_fields(f: &EventFields<'_>) -> String {
    // Serialized as a JSON array straight from borrowed fields: the same bytes as building a
    // `serde_json::Value` first, without copying every string (verification hashes millions).
    let canonical = (
        f.org_id,
        f.seq,
        f.occurred_at_micros,
        f.actor_id,
        f.actor_label,
        f.action,
        f.target_type,
        f.target_id,
        f.target_label,
        f.outcome,
        f.client_addr,
        f.user_agent,
        f.before_json,
        f.after_json,
        f.prev_hash,
    );
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, &canonical).expect("hashing cannot fail");
    hex::encode(hasher.0.finalize())
}

/// Feeds serialized bytes straight into the hash.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where a chain stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub org_id: i64,
    /// The sequence number at which the problem shows.
    pub seq: i64,
    pub reason: String,
}

/// The outcome of verifying one organisation's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub org_id: i64,
    pub events: u64,
    pub first_break: Option<ChainBreak>,
}

/// A hash that something outside the chain vouches for, such as a signed checkpoint: the event
/// at that sequence number must still carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vouch {
    pub hash: String,
    /// What vouches, for the report: "the checkpoint signed 2026-11-29 02:00 UTC".
    pub by: String,
}

/// Hashes vouched for, by sequence number.
pub type Vouched = std::collections::BTreeMap<i64, Vouch>;

/// Where an organisation's chain starts in the database: after its newest archive (whose last
/// hash the first remaining event links to), or at the beginning.
pub async fn chain_start<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
) -> Result<(i64, String), DbErr> {
    let archive = audit_archive::Entity::find()
        .filter(audit_archive::Column::OrgId.eq(org_id))
        .order_by_desc(audit_archive::Column::LastSeq)
        .one(conn)
        .await?;
    Ok(match archive {
        Some(archive) => (archive.last_seq + 1, archive.last_hash),
        None => (1, GENESIS_HASH.to_owned()),
    })
}

/// Re-computes every hash of an organisation's chain in order, reading in pages so memory stays
/// flat. Detects edited rows (hash mismatch), deleted rows (a gap in the sequence or a head that
/// is ahead of the last row), and swapped rows (links that no longer match). Events already
/// archived are not read: the chain is checked from the archive boundary on.
pub async fn verify_chain(conn: &DatabaseConnection, org_id: i64) -> Result<ChainReport, DbErr> {
    verify_chain_with(conn, org_id, &Vouched::new(), &|_| {}).await
}

/// Events read per database query while verifying.
const VERIFY_PAGE: i64 = 5_000;
/// Pages read and hashed at the same time while verifying (each on its own connection and
/// blocking thread); the links between them are checked in order as they arrive.
const VERIFY_PARALLEL: usize = 4;

/// As [`verify_chain`], also checking that every event in `vouched` still has the vouched hash
/// (a chain recomputed after an edit links up again, but no longer matches its checkpoints),
/// and telling `progress` how many events are checked after every page.
///
/// Pages are read and hashed several at a time, by sequence-number range, and checked in
/// order: the result is the same as a strictly sequential walk.
pub async fn verify_chain_with(
    conn: &DatabaseConnection,
    org_id: i64,
    vouched: &Vouched,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ChainReport, DbErr> {
    use futures_util::StreamExt;
    let (start_seq, start_hash) = chain_start(conn, org_id).await?;
    let head = audit_head::Entity::find_by_id(org_id).one(conn).await?;
    // Read to whichever is further: the head, or a row stored past it.
    let newest_stored: Option<i64> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Seq)
        .filter(audit_event::Column::OrgId.eq(org_id))
        .order_by_desc(audit_event::Column::Seq)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    let end = head
        .as_ref()
        .map_or(0, |h| h.seq)
        .max(newest_stored.unwrap_or(0));
    let ranges = (start_seq..=end)
        .step_by(usize::try_from(VERIFY_PAGE).unwrap_or(5_000))
        .map(|from| (from, (from + VERIFY_PAGE).min(end + 1)));
    // Each range is read and decoded in a task of its own, so decoding uses every core.
    let mut pages = futures_util::stream::iter(ranges)
        .map(|(from, until)| {
            let db = conn.clone();
            async move {
                tokio::spawn(async move {
                    crate::server::repo::audit_chain::read_links(&db, org_id, from, until).await
                })
                .await
                .map_err(|e| DbErr::Custom(format!("verification stopped: {e}")))?
            }
        })
        .buffered(VERIFY_PARALLEL);
    let mut expected_seq = start_seq;
    let mut prev_hash = start_hash;
    let mut events = 0u64;
    while let Some(page) = pages.next().await {
        match check_links(&page?, expected_seq, prev_hash, vouched) {
            PageCheck::Linked {
                next_seq,
                last_hash,
                count,
            } => {
                events += count;
                expected_seq = next_seq;
                prev_hash = last_hash;
            }
            PageCheck::Broken { seq, reason, count } => {
                return Ok(ChainReport {
                    org_id,
                    events: events + count,
                    first_break: Some(ChainBreak {
                        org_id,
                        seq,
                        reason,
                    }),
                });
            }
        }
        progress(events);
    }
    let broke = |seq: i64, reason: String| {
        Some(ChainBreak {
            org_id,
            seq,
            reason,
        })
    };
    let stored = expected_seq - 1;
    let head_problem = match head {
        Some(head) if head.seq == stored && head.hash == prev_hash => None,
        Some(head) if head.seq > stored => Some(format!(
            "the chain head says {} events but {stored} are stored (events at the end were deleted)",
            head.seq
        )),
        Some(_) => Some("the chain head does not match the last event (the head was edited)".to_owned()),
        None if stored > 0 => Some("the chain head is missing (it was deleted)".to_owned()),
        None => None,
    };
    if let Some(reason) = head_problem {
        return Ok(ChainReport {
            org_id,
            events,
            first_break: broke(expected_seq, reason),
        });
    }
    // A checkpoint past the last stored event vouches for events that are gone.
    if let Some((seq, vouch)) = vouched.range(expected_seq..).next() {
        return Ok(ChainReport {
            org_id,
            events,
            first_break: broke(
                *seq,
                format!(
                    "{} vouches for event {seq}, which is not stored (events were deleted)",
                    vouch.by
                ),
            ),
        });
    }
    Ok(ChainReport {
        org_id,
        events,
        first_break: None,
    })
}

/// The result of checking one page of the chain.
pub enum PageCheck {
    Linked {
        next_seq: i64,
        last_hash: String,
        count: u64,
    },
    Broken {
        seq: i64,
        reason: String,
        count: u64,
    },
}

/// One event as the chain check sees it: where it is, what it links to, its stored hash, and
/// whether its content still produces that hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub content_matches: bool,
}

impl Link {
    /// The link of a stored event, its hash recomputed.
    pub fn of(row: &audit_event::Model) -> Self {
        Link {
            seq: row.seq,
            prev_hash: row.prev_hash.clone(),
            content_matches: event_hash(row) == row.hash,
            hash: row.hash.clone(),
        }
    }
}

/// Checks that a page continues the chain at `expected_seq` from `prev_hash`.
pub fn check_page(
    page: &[audit_event::Model],
    expected_seq: i64,
    prev_hash: String,
    vouched: &Vouched,
) -> PageCheck {
    let links: Vec<Link> = page.iter().map(Link::of).collect();
    check_links(&links, expected_seq, prev_hash, vouched)
}

/// As [`check_page`], over events already reduced to their [`Link`]s.
pub fn check_links(
    page: &[Link],
    mut expected_seq: i64,
    mut prev_hash: String,
    vouched: &Vouched,
) -> PageCheck {
    let mut count = 0u64;
    for row in page {
        count += 1;
        let broken = if row.seq != expected_seq {
            Some((
                expected_seq,
                format!(
                    "event {} is missing (the next stored event is {})",
                    expected_seq, row.seq
                ),
            ))
        } else if row.prev_hash != prev_hash {
            Some((
                row.seq,
                "its link to the previous event does not match (rows moved or replaced)".to_owned(),
            ))
        } else if !row.content_matches {
            Some((
                row.seq,
                "its content does not match its hash (the row was edited)".to_owned(),
            ))
        } else {
            vouched
                .get(&row.seq)
                .filter(|vouch| vouch.hash != row.hash)
                .map(|vouch| {
                    (
                        row.seq,
                        format!(
                            "its hash differs from the one {} vouches for (the history up to it was rewritten)",
                            vouch.by
                        ),
                    )
                })
        };
        if let Some((seq, reason)) = broken {
            return PageCheck::Broken { seq, reason, count };
        }
        prev_hash.clone_from(&row.hash);
        expected_seq += 1;
    }
    PageCheck::Linked {
        next_seq: expected_seq,
        last_hash: prev_hash,
        count,
    }
}

/// Every organisation id that has a chain: from events and heads, so that deleting an
/// organisation's row cannot hide its chain from verification.
pub async fn chained_organisations<C: ConnectionTrait>(conn: &C) -> Result<Vec<i64>, DbErr> {
    let mut ids: Vec<i64> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::OrgId)
        .distinct()
        .into_tuple()
        .all(conn)
        .await?;
    let heads: Vec<i64> = audit_head::Entity::find()
        .select_only()
        .column(audit_head::Column::OrgId)
        .into_tuple()
        .all(conn)
        .await?;
    ids.extend(heads);
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod hash_tests {
    use super::*;

    /// The hash is over the same bytes as the JSON array of the fields, as first released:
    /// chains written before stay verifiable.
    #[test]
    fn the_event_hash_is_sha256_of_the_json_array_of_fields() {
        let row = audit_event::Model {
            id: 9,
            org_id: 3,
            seq: 42,
            occurred_at: chrono::DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(),
            actor_id: None,
            actor_label: "Zoë \"Q\" <admin>".into(),
            action: "role.updated".into(),
            target_type: Some("role".into()),
            target_id: Some(7),
            target_label: None,
            outcome: "success".into(),
            client_addr: Some("10.0.0.1".into()),
            user_agent: None,
            before_json: Some("{\"a\":1}".into()),
            after_json: None,
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        let expected = serde_json::json!([
            row.org_id,
            row.seq,
            row.occurred_at.timestamp_micros(),
            row.actor_id,
            row.actor_label,
            row.action,
            row.target_type,
            row.target_id,
            row.target_label,
            row.outcome,
            row.client_addr,
            row.user_agent,
            row.before_json,
            row.after_json,
            row.prev_hash,
        ]);
        assert_eq!(
            event_hash(&row),
            hex::encode(Sha256::digest(expected.to_string().as_bytes()))
        );
    }
}
