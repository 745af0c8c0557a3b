//! Retention: events older than an organisation's retention period are written to a compressed
//! NDJSON archive (every stored field, so each hash can be recomputed from the file), the
//! archive and its chain positions are recorded, and the events are removed from the database,
//! all of that in one audited transaction. The chain then resumes in the database from the
//! archive's last hash, and a full verification walks the archive files first. The retention
//! period is set here too, with the business hours the after-hours alert reads.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::AppError;
use crate::server::authz::{AuditEventManage, Grant};
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{audit_archive, audit_event, organisation, webhook_sink};
use crate::server::services::audit::{
    chain_start, check_page, Actor, AuditedTxn, ChainBreak, ChainReport, NewEvent, PageCheck,
    Target, Vouched, GENESIS_HASH,
};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Most events one archive file holds: each run of the job moves at most this many, so its
/// transaction stays short; a large backlog takes several runs.
pub const MAX_EVENTS_PER_ARCHIVE: i64 = 100_000;

/// Events read from the database per step while writing an archive.
const PAGE: u64 = 5_000;

/// One event in an archive file: every stored field, before and after kept as the exact text
/// that was hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedEvent {
    pub org_id: i64,
    pub seq: i64,
    /// Microseconds since the Unix epoch, as hashed.
    pub occurred_at_us: i64,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub target_label: Option<String>,
    pub outcome: String,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<audit_event::Model> for ArchivedEvent {
    fn from(e: audit_event::Model) -> Self {
        ArchivedEvent {
            org_id: e.org_id,
            seq: e.seq,
            occurred_at_us: e.occurred_at.timestamp_micros(),
            actor_id: e.actor_id,
            actor_label: e.actor_label,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            target_label: e.target_label,
            outcome: e.outcome,
            client_addr: e.client_addr,
            user_agent: e.user_agent,
            before_json: e.before_json,
            after_json: e.after_json,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

impl ArchivedEvent {
    fn into_model(self) -> audit_event::Model {
        audit_event::Model {
            id: 0,
            org_id: self.org_id,
            seq: self.seq,
            occurred_at: DateTime::from_timestamp_micros(self.occurred_at_us).unwrap_or_default(),
            actor_id: self.actor_id,
            actor_label: self.actor_label,
            action: self.action,
            target_type: self.target_type,
            target_id: self.target_id,
            target_label: self.target_label,
            outcome: self.outcome,
            client_addr: self.client_addr,
            user_agent: self.user_agent,
            before_json: self.before_json,
            after_json: self.after_json,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

/// Why archiving stopped.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error("could not write the archive: {0}")]
    File(#[from] std::io::Error),
    #[error("the chain is broken at event {0}: archiving waits until it is investigated")]
    BrokenChain(i64),
}

/// A writer that hashes what passes through it.
struct HashingFile {
    file: std::fs::File,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// The folder of an organisation's archives.
pub fn org_dir(root: &Path, org_id: i64) -> PathBuf {
    root.join(format!("org-{org_id}"))
}

/// Archives what is due in every organisation that has a retention period.
pub async fn archive_due(state: &AppState) -> Result<usize, ArchiveError> {
    let organisations = organisation::Entity::find()
        .filter(organisation::Column::AuditRetentionDays.is_not_null())
        .all(&state.db)
        .await?;
    let mut archived = 0;
    for org in organisations {
        let days = org.audit_retention_days.unwrap_or(i32::MAX).max(1);
        let cutoff = state.now() - Duration::days(days.into());
        if archive_before(state, org.id, cutoff).await?.is_some() {
            archived += 1;
        }
    }
    Ok(archived)
}

/// The last sequence number that may be archived: older than `cutoff`, already delivered to
/// every enabled webhook sink (the log is their queue), at most one file's worth.
async fn archivable_until<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    start_seq: i64,
    cutoff: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let newest_old: Option<i64> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Seq)
        .filter(audit_event::Column::OrgId.eq(org_id))
        .filter(audit_event::Column::OccurredAt.lt(cutoff))
        .order_by_desc(audit_event::Column::OccurredAt)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    let Some(mut until) = newest_old else {
        return Ok(None);
    };
    let undelivered: Option<i64> = webhook_sink::Entity::find()
        .select_only()
        .column_as(webhook_sink::Column::DeliveredSeq.min(), "min")
        .filter(webhook_sink::Column::OrgId.eq(org_id))
        .filter(webhook_sink::Column::Enabled.eq(true))
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    if let Some(delivered) = undelivered {
        until = until.min(delivered);
    }
    until = until.min(start_seq + MAX_EVENTS_PER_ARCHIVE - 1);
    Ok((until >= start_seq).then_some(until))
}

/// Moves the organisation's events older than `cutoff` into an archive file and out of the
/// database. Returns the archive made, or `None` when nothing was due.
pub async fn archive_before(
    state: &AppState,
    org_id: i64,
    cutoff: DateTime<Utc>,
) -> Result<Option<audit_archive::Model>, ArchiveError> {
    let (start_seq, start_hash) = chain_start(&state.db, org_id).await?;
    let Some(until) = archivable_until(&state.db, org_id, start_seq, cutoff).await? else {
        return Ok(None);
    };
    let dir = org_dir(&state.audit.archive_dir, org_id);
    tokio::fs::create_dir_all(&dir).await?;
    let file_name = format!("audit-{org_id}-{start_seq:012}-{until:012}.ndjson.gz");
    let part = dir.join(format!("{file_name}.{}.part", uuid_like()));
    let file = std::fs::File::create(&part)?;
    let encoder = flate2::write::GzEncoder::new(
        HashingFile {
            file,
            hasher: Sha256::new(),
            bytes: 0,
        },
        flate2::Compression::default(),
    );
    let written = write_pages(
        state,
        org_id,
        (start_seq, start_hash.clone()),
        until,
        encoder,
    )
    .await;
    let (encoder, prev_hash, oldest, newest) = match written {
        Ok(done) => done,
        Err(err) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(err);
        }
    };
    let (sha256, bytes) = tokio::task::spawn_blocking(move || -> std::io::Result<(String, u64)> {
        let mut inner = encoder.finish()?;
        inner.flush()?;
        inner.file.sync_all()?;
        Ok((hex::encode(inner.hasher.finalize()), inner.bytes))
    })
    .await
    .map_err(std::io::Error::other)??;
    let final_path = dir.join(&file_name);
    tokio::fs::rename(&part, &final_path).await?;

    let now = state.now();
    let recorded: Result<Option<audit_archive::Model>, DbErr> = async {
        let mut txn = AuditedTxn::begin(&state.db, org_id).await?;
        // Another replica may have archived this range meanwhile.
        if chain_start(txn.conn(), org_id).await? != (start_seq, start_hash.clone()) {
            txn.rollback().await?;
            return Ok(None);
        }
        let row = audit_archive::Entity::insert(audit_archive::ActiveModel {
            org_id: Set(org_id),
            first_seq: Set(start_seq),
            last_seq: Set(until),
            prev_hash: Set(start_hash.clone()),
            last_hash: Set(prev_hash.clone()),
            events: Set(until - start_seq + 1),
            oldest_at: Set(oldest.unwrap_or(now)),
            newest_at: Set(newest.unwrap_or(now)),
            file_name: Set(file_name.clone()),
            file_sha256: Set(sha256.clone()),
            file_bytes: Set(i64::try_from(bytes).unwrap_or(i64::MAX)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(txn.conn())
        .await?;
        audit_event::Entity::delete_many()
            .filter(audit_event::Column::OrgId.eq(org_id))
            .filter(audit_event::Column::Seq.between(start_seq, until))
            .exec(txn.conn())
            .await?;
        txn.record(
            now,
            NewEvent {
                actor: Actor::system("castellan (retention)"),
                action: AuditAction::AuditArchived,
                target: Target::record("organisation", org_id),
                outcome: Outcome::Success,
                client: ClientInfo::default(),
                before: None,
                after: Some(serde_json::json!({
                    "first_seq": start_seq,
                    "last_seq": until,
                    "last_hash": prev_hash,
                    "file": file_name,
                    "file_sha256": sha256,
                    "cutoff": cutoff.to_rfc3339(),
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(Some(row))
    }
    .await;
    match recorded {
        Ok(Some(row)) => {
            tracing::info!(
                org_id,
                first_seq = start_seq,
                last_seq = until,
                "archived audit events"
            );
            Ok(Some(row))
        }
        Ok(None) => {
            let _ = tokio::fs::remove_file(&final_path).await;
            Ok(None)
        }
        Err(err) => {
            let _ = tokio::fs::remove_file(&final_path).await;
            Err(err.into())
        }
    }
}

type Encoder = flate2::write::GzEncoder<HashingFile>;

/// Writes events `start.0..=until` into the archive page by page, checking the chain as it goes:
/// a broken chain is never archived. Returns the encoder, the last hash and the time span.
async fn write_pages(
    state: &AppState,
    org_id: i64,
    start: (i64, String),
    until: i64,
    mut encoder: Encoder,
) -> Result<
    (
        Encoder,
        String,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    ),
    ArchiveError,
> {
    let (mut expected, mut prev_hash) = start;
    let (mut oldest, mut newest) = (None, None);
    while expected <= until {
        let page = audit_event::Entity::find()
            .filter(audit_event::Column::OrgId.eq(org_id))
            .filter(audit_event::Column::Seq.between(expected, until))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(&state.db)
            .await?;
        if page.is_empty() {
            return Err(ArchiveError::BrokenChain(expected));
        }
        match check_page(&page, expected, prev_hash.clone(), &Vouched::new()) {
            PageCheck::Linked {
                next_seq,
                last_hash,
                ..
            } => {
                expected = next_seq;
                prev_hash = last_hash;
            }
            PageCheck::Broken { seq, .. } => return Err(ArchiveError::BrokenChain(seq)),
        }
        oldest = oldest.or(page.first().map(|e| e.occurred_at));
        newest = page.last().map(|e| e.occurred_at);
        let mut lines = Vec::with_capacity(page.len() * 400);
        for event in page {
            serde_json::to_writer(&mut lines, &ArchivedEvent::from(event))
                .map_err(std::io::Error::other)?;
            lines.push(b'\n');
        }
        encoder = tokio::task::spawn_blocking(move || encoder.write_all(&lines).map(|()| encoder))
            .await
            .map_err(std::io::Error::other)??;
    }
    Ok((encoder, prev_hash, oldest, newest))
}

/// Sets the retention period (`None`: keep every event) and business hours. Needs
/// `audit_event.manage`.
pub async fn update_settings(
    state: &AppState,
    grant: &Grant<AuditEventManage>,
    retention_days: Option<i32>,
    hours: (i32, i32),
    client: &ClientInfo,
) -> Result<(), AppError> {
    let mut errors = crate::domain::FieldErrors::new();
    if retention_days.is_some_and(|d| !(30..=3650).contains(&d)) {
        errors.insert(
            "retention_days".into(),
            "Keep events between 30 and 3,650 days, or leave it empty to keep them forever.".into(),
        );
    }
    if !(0..=23).contains(&hours.0) || !(1..=24).contains(&hours.1) || hours.0 == hours.1 {
        errors.insert(
            "business_hours".into(),
            "Business hours start at an hour from 0 to 23 and end at a different hour from 1 to 24.".into(),
        );
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let org_id = grant.org_id();
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let org = organisation::Entity::find_by_id(org_id)
        .one(txn.conn())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let before = serde_json::json!({
        "audit_retention_days": org.audit_retention_days,
        "business_hours": [org.business_hours_start, org.business_hours_end],
    });
    organisation::Entity::update_many()
        .col_expr(
            organisation::Column::AuditRetentionDays,
            retention_days.into(),
        )
        .col_expr(organisation::Column::BusinessHoursStart, hours.0.into())
        .col_expr(organisation::Column::BusinessHoursEnd, hours.1.into())
        .filter(organisation::Column::Id.eq(org_id))
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::SettingsUpdated,
        Target::named("organisation", org_id, &org.name),
        client,
        Some(before),
        Some(serde_json::json!({
            "audit_retention_days": retention_days,
            "business_hours": [hours.0, hours.1],
        })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

fn uuid_like() -> String {
    hex::encode(rand::random::<[u8; 8]>())
}

/// Every archive of the organisation, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
) -> Result<Vec<audit_archive::Model>, DbErr> {
    audit_archive::Entity::find()
        .filter(audit_archive::Column::OrgId.eq(org_id))
        .order_by_asc(audit_archive::Column::FirstSeq)
        .all(conn)
        .await
}

/// Verifies the archive files of an organisation, oldest first: each file is the one recorded
/// (its SHA-256), each continues the one before from the genesis hash on, every event matches its
/// hash and any checkpoint that vouches for it. The database chain then continues from the last
/// archive (see [`crate::server::services::audit::chain_start`]).
pub async fn verify_archives<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    root: &Path,
    vouched: &Vouched,
) -> Result<ChainReport, DbErr> {
    let archives = list(conn, org_id).await?;
    let mut expected = 1i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut events = 0u64;
    for archive in archives {
        let broke = |seq: i64, reason: String, events: u64| ChainReport {
            org_id,
            events,
            first_break: Some(ChainBreak {
                org_id,
                seq,
                reason,
            }),
        };
        if archive.first_seq != expected || archive.prev_hash != prev_hash {
            return Ok(broke(
                expected,
                format!(
                    "archive {} does not continue the chain (events before it are missing)",
                    archive.file_name
                ),
                events,
            ));
        }
        let path = org_dir(root, org_id).join(&archive.file_name);
        let vouches = vouched.clone();
        let file_name = archive.file_name.clone();
        let (expected_sha, start, start_hash) =
            (archive.file_sha256.clone(), expected, prev_hash.clone());
        let checked = tokio::task::spawn_blocking(move || {
            check_archive_file(
                &path,
                &file_name,
                &expected_sha,
                start,
                start_hash,
                &vouches,
            )
        })
        .await
        .map_err(|e| DbErr::Custom(format!("archive verification stopped: {e}")))?;
        match checked {
            Ok((next, last_hash, count)) => {
                events += count;
                if next != archive.last_seq + 1 || last_hash != archive.last_hash {
                    return Ok(broke(
                        next,
                        format!(
                            "archive {} does not end where its record says",
                            archive.file_name
                        ),
                        events,
                    ));
                }
                expected = next;
                prev_hash = last_hash;
            }
            Err((seq, reason, count)) => return Ok(broke(seq, reason, events + count)),
        }
    }
    Ok(ChainReport {
        org_id,
        events,
        first_break: None,
    })
}

type FileCheck = Result<(i64, String, u64), (i64, String, u64)>;

fn check_archive_file(
    path: &Path,
    file_name: &str,
    expected_sha: &str,
    mut expected: i64,
    mut prev_hash: String,
    vouched: &Vouched,
) -> FileCheck {
    use std::io::BufRead;
    let bytes = std::fs::read(path).map_err(|e| {
        (
            expected,
            format!("archive {file_name} cannot be read ({e})"),
            0,
        )
    })?;
    if hex::encode(Sha256::digest(&bytes)) != expected_sha {
        return Err((
            expected,
            format!("archive {file_name} is not the file that was written (its SHA-256 differs)"),
            0,
        ));
    }
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut count = 0u64;
    let mut page = Vec::with_capacity(PAGE as usize);
    let flush = |page: &mut Vec<audit_event::Model>,
                 expected: &mut i64,
                 prev_hash: &mut String,
                 count: &mut u64|
     -> Result<(), (i64, String, u64)> {
        match check_page(page, *expected, prev_hash.clone(), vouched) {
            PageCheck::Linked {
                next_seq,
                last_hash,
                count: n,
            } => {
                *expected = next_seq;
                *prev_hash = last_hash;
                *count += n;
                page.clear();
                Ok(())
            }
            PageCheck::Broken {
                seq,
                reason,
                count: n,
            } => Err((seq, format!("{reason}, in archive {file_name}"), *count + n)),
        }
    };
    for line in reader.lines() {
        let line = line.map_err(|e| {
            (
                expected,
                format!("archive {file_name} is damaged ({e})"),
                count,
            )
        })?;
        let event: ArchivedEvent = serde_json::from_str(&line).map_err(|e| {
            (
                expected,
                format!("archive {file_name} holds an unreadable line ({e})"),
                count,
            )
        })?;
        page.push(event.into_model());
        if page.len() as u64 == PAGE {
            flush(&mut page, &mut expected, &mut prev_hash, &mut count)?;
        }
    }
    flush(&mut page, &mut expected, &mut prev_hash, &mut count)?;
    Ok((expected, prev_hash, count))
}
