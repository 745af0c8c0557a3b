//! Signed checkpoints: once a day each organisation's chain head (sequence number and hash) is
//! signed with the deployment's Ed25519 key. Anyone with write access to the database can
//! recompute a chain after editing it, but cannot sign; the next verification finds the event
//! whose hash no longer matches its checkpoint. Exported checkpoints can be kept elsewhere and
//! checked against the database later (`castellan audit verify --checkpoints FILE`).

use crate::domain::audit::{AuditAction, CheckpointView, Outcome};
use crate::server::ctx::ClientInfo;
use crate::server::entities::{audit_checkpoint, audit_head, organisation};
use crate::server::services::audit::{
    verify_chain_with, Actor, AuditedTxn, ChainBreak, ChainReport, NewEvent, Target, Vouch, Vouched,
};
use crate::server::state::AppState;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A checkpoint is made when the newest one is older than this and the chain has grown.
pub const INTERVAL_HOURS: i64 = 24;

/// The exact bytes that are signed: versioned, one field a line, nothing left to interpretation.
pub fn signed_message(org_id: i64, seq: i64, hash: &str, signed_at: DateTime<Utc>) -> String {
    format!(
        "castellan-audit-checkpoint/v1\norg:{org_id}\nseq:{seq}\nhash:{hash}\nsigned_at:{}\n",
        signed_at.timestamp_micros()
    )
}

/// Reads a signing key: base64 of its 32-byte seed.
pub fn signing_key_from_base64(text: &str) -> Result<SigningKey, String> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|_| "the audit signing key is not base64".to_owned())?;
    let seed: [u8; 32] = bytes.try_into().map_err(|_| {
        "the audit signing key must be 32 bytes (base64 of 32 random bytes)".to_owned()
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A new random signing key, as base64 of its seed.
pub fn generate_signing_key() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

/// The public half of a key, as stored beside checkpoints and put in exports.
pub fn public_key_text(key: &VerifyingKey) -> String {
    B64.encode(key.as_bytes())
}

/// One checkpoint as exported: enough to check it without the database that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedCheckpoint {
    pub org_id: i64,
    pub seq: i64,
    pub hash: String,
    /// RFC 3339 with microseconds.
    pub signed_at: String,
    pub public_key: String,
    pub signature: String,
}

/// An export file: the organisation's checkpoints and the key that verifies them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointExport {
    pub format: String,
    pub org_id: i64,
    pub public_key: String,
    pub checkpoints: Vec<ExportedCheckpoint>,
}

impl From<&audit_checkpoint::Model> for ExportedCheckpoint {
    fn from(row: &audit_checkpoint::Model) -> Self {
        ExportedCheckpoint {
            org_id: row.org_id,
            seq: row.seq,
            hash: row.hash.clone(),
            signed_at: row
                .signed_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            public_key: row.public_key.clone(),
            signature: row.signature.clone(),
        }
    }
}

impl ExportedCheckpoint {
    /// Whether `key` signed exactly this checkpoint.
    pub fn signature_holds(&self, key: &VerifyingKey) -> bool {
        let Ok(signed_at) = DateTime::parse_from_rfc3339(&self.signed_at) else {
            return false;
        };
        let Ok(bytes) = B64.decode(&self.signature) else {
            return false;
        };
        let Ok(signature) = Signature::from_slice(&bytes) else {
            return false;
        };
        let message = signed_message(
            self.org_id,
            self.seq,
            &self.hash,
            signed_at.with_timezone(&Utc),
        );
        key.verify(message.as_bytes(), &signature).is_ok()
    }

    fn label(&self) -> String {
        format!("the checkpoint signed {}", self.signed_at)
    }
}

/// Signs the organisation's chain head now, in one transaction with the event that records it.
/// Returns `None` when the chain is empty.
pub async fn sign_head(
    state: &AppState,
    org_id: i64,
    actor: Actor,
    client: &ClientInfo,
) -> Result<Option<audit_checkpoint::Model>, DbErr> {
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id).await?;
    let (seq, hash) = txn.head();
    if seq == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    let key = &state.audit_signing_key;
    let signature = key.sign(signed_message(org_id, seq, &hash, now).as_bytes());
    let public_key = public_key_text(&key.verifying_key());
    let row = audit_checkpoint::Entity::insert(audit_checkpoint::ActiveModel {
        org_id: Set(org_id),
        seq: Set(seq),
        hash: Set(hash.clone()),
        signed_at: Set(now),
        public_key: Set(public_key.clone()),
        signature: Set(B64.encode(signature.to_bytes())),
        ..Default::default()
    })
    .exec_with_returning(txn.conn())
    .await?;
    txn.record(
        now,
        NewEvent {
            actor,
            action: AuditAction::AuditCheckpointSigned,
            target: Target::record("organisation", org_id),
            outcome: Outcome::Success,
            client: client.clone(),
            before: None,
            after: Some(serde_json::json!({
                "seq": seq,
                "hash": hash,
                "public_key": public_key,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Some(row))
}

/// Makes the daily checkpoint of every organisation whose newest one is older than a day and
/// whose chain has grown since. Run by the background jobs of every replica: the chain head's
/// lock serialises them, and a replica that lost the race finds the fresh checkpoint.
pub async fn sign_due(state: &AppState) -> Result<usize, DbErr> {
    let organisations: Vec<i64> = organisation::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    let mut signed = 0;
    for org_id in organisations {
        if is_due(&state.db, org_id, state.now()).await?
            && sign_head(
                state,
                org_id,
                Actor::system("castellan (daily checkpoint)"),
                &ClientInfo::default(),
            )
            .await?
            .is_some()
        {
            signed += 1;
        }
    }
    Ok(signed)
}

async fn is_due<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let head = audit_head::Entity::find_by_id(org_id).one(conn).await?;
    let Some(head) = head.filter(|h| h.seq > 0) else {
        return Ok(false);
    };
    let newest = newest(conn, org_id).await?;
    Ok(match newest {
        None => true,
        // The checkpoint's own event moves the head by one: that alone is not growth.
        Some(c) => c.signed_at <= now - Duration::hours(INTERVAL_HOURS) && head.seq > c.seq + 1,
    })
}

async fn newest<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
) -> Result<Option<audit_checkpoint::Model>, DbErr> {
    audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::OrgId.eq(org_id))
        .order_by_desc(audit_checkpoint::Column::Seq)
        .one(conn)
        .await
}

/// Every checkpoint of the organisation, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
) -> Result<Vec<audit_checkpoint::Model>, DbErr> {
    audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::OrgId.eq(org_id))
        .order_by_asc(audit_checkpoint::Column::Seq)
        .all(conn)
        .await
}

/// The export of an organisation's checkpoints.
pub async fn export<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    key: &VerifyingKey,
) -> Result<CheckpointExport, DbErr> {
    Ok(CheckpointExport {
        format: "castellan-audit-checkpoints/v1".into(),
        org_id,
        public_key: public_key_text(key),
        checkpoints: list(conn, org_id).await?.iter().map(Into::into).collect(),
    })
}

/// Checkpoints for the console, newest first, each with whether its signature holds.
pub async fn views<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    key: &VerifyingKey,
) -> Result<Vec<CheckpointView>, DbErr> {
    let mut rows = list(conn, org_id).await?;
    rows.reverse();
    Ok(rows
        .iter()
        .take(30)
        .map(|row| {
            let exported = ExportedCheckpoint::from(row);
            CheckpointView {
                seq: row.seq,
                hash: row.hash.clone(),
                signed_at: row.signed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                signature_valid: exported.signature_holds(key),
            }
        })
        .collect())
}

/// Verifies an organisation's whole history: its archive files when `archives` names their
/// folder (from the genesis hash to the archive boundary), then the chain in the database,
/// against its stored checkpoints and any `extra` ones (from an export kept elsewhere). A
/// checkpoint whose signature does not hold under `key` is itself a break: it was forged or
/// altered.
pub async fn verify_organisation(
    conn: &sea_orm::DatabaseConnection,
    org_id: i64,
    key: &VerifyingKey,
    extra: &[ExportedCheckpoint],
    archives: Option<&std::path::Path>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ChainReport, DbErr> {
    let stored: Vec<ExportedCheckpoint> =
        list(conn, org_id).await?.iter().map(Into::into).collect();
    let mut vouched = Vouched::new();
    for checkpoint in stored
        .iter()
        .chain(extra.iter().filter(|c| c.org_id == org_id))
    {
        if !checkpoint.signature_holds(key) {
            return Ok(ChainReport {
                org_id,
                events: 0,
                first_break: Some(ChainBreak {
                    org_id,
                    seq: checkpoint.seq,
                    reason: format!(
                        "{} does not carry a valid signature of this deployment's key (it was forged or altered)",
                        checkpoint.label()
                    ),
                }),
            });
        }
        vouched.entry(checkpoint.seq).or_insert(Vouch {
            hash: checkpoint.hash.clone(),
            by: checkpoint.label(),
        });
    }
    let mut archived = 0;
    if let Some(root) = archives {
        let report =
            crate::server::services::retention::verify_archives(conn, org_id, root, &vouched)
                .await?;
        if report.first_break.is_some() {
            return Ok(report);
        }
        archived = report.events;
    }
    let (start_seq, _) = crate::server::services::audit::chain_start(conn, org_id).await?;
    // Checkpoints of archived events were checked with the archive files (or cannot be).
    let in_database: Vouched = vouched.split_off(&start_seq);
    let mut report =
        verify_chain_with(conn, org_id, &in_database, &|n| progress(archived + n)).await?;
    report.events += archived;
    Ok(report)
}
