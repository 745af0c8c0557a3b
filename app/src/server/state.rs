//! Shared application state handed to every request: database, clock and auth settings.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// The source of "now". Injected so expiry, throttling and timeouts have deterministic tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time, truncated to microseconds so it round-trips through every database.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate_to_micros(Utc::now())
    }
}

/// Drops sub-microsecond precision, which PostgreSQL would drop on its own.
pub fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// Sign-in and session rules.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session unused for this long ends.
    pub idle_timeout_minutes: i64,
    /// A session ends this long after sign-in, used or not.
    pub absolute_timeout_minutes: i64,
    /// Failed sign-ins for one account within the window before it is locked.
    pub account_failure_limit: i32,
    /// Failed sign-ins from one client address within the window before it is locked.
    pub address_failure_limit: i32,
    /// Length of the counting window and of the lock, in minutes.
    pub throttle_window_minutes: i64,
    /// Sensitive actions need the second step passed within this many minutes.
    pub step_up_minutes: i64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            idle_timeout_minutes: 30,
            absolute_timeout_minutes: 12 * 60,
            account_failure_limit: 5,
            address_failure_limit: 50,
            throttle_window_minutes: 15,
            step_up_minutes: 15,
        }
    }
}

/// How the audit log is operated: archives, SIEM delivery and alert thresholds.
#[derive(Debug, Clone)]
pub struct AuditSettings {
    /// Where archives of events past the retention period are written.
    pub archive_dir: std::path::PathBuf,
    /// Events per webhook delivery.
    pub webhook_batch: u64,
    /// Longest wait between two delivery attempts to a failing receiver, in seconds.
    pub webhook_max_backoff_seconds: i64,
    /// Allow webhook receivers on loopback and private addresses (tests, single-host setups).
    pub webhook_allow_private: bool,
    /// Failed sign-ins of one account within 15 minutes that raise an alert.
    pub alert_failed_sign_ins_account: u64,
    /// Failed sign-ins from one client address within 15 minutes that raise an alert.
    pub alert_failed_sign_ins_address: u64,
    /// Customer records with personal data one person sees in an hour before their rate is
    /// compared with their usual one at all.
    pub alert_record_views_minimum: u64,
    /// How many times their usual hourly rate raises an alert.
    pub alert_record_views_factor: u64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            archive_dir: "data/audit-archive".into(),
            webhook_batch: 500,
            webhook_max_backoff_seconds: 300,
            webhook_allow_private: false,
            alert_failed_sign_ins_account: 10,
            alert_failed_sign_ins_address: 30,
            alert_record_views_minimum: 200,
            alert_record_views_factor: 5,
        }
    }
}

/// Everything a request handler needs, cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub auth: AuthSettings,
    /// A real argon2id hash of a random password, verified against when an account does not
    /// exist so that timing does not reveal which emails are registered.
    pub dummy_password_hash: Arc<String>,
    /// Bounds concurrent argon2 work (19 MiB and tens of milliseconds each) to the cores, off
    /// the async workers, so a flood of sign-ins cannot starve every other request.
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Encrypts TOTP secrets at rest. [`AppState::new`] starts with a random key that lives as
    /// long as the process; `startup` replaces it with the configured one.
    pub secrets: Arc<super::mfa::SecretBox>,
    /// The WebAuthn relying party for passkeys, or why passkeys are off (the console is not
    /// served under a domain name).
    pub passkeys: Result<Arc<webauthn_rs::Webauthn>, String>,
    /// Signs the daily checkpoints of the audit chain. [`AppState::new`] starts with a random
    /// key; `startup` replaces it with the configured one.
    pub audit_signing_key: Arc<ed25519_dalek::SigningKey>,
    /// Archives, SIEM delivery and alert thresholds.
    pub audit: Arc<AuditSettings>,
    /// The HTTP client that delivers to webhook sinks (no redirects, short timeouts).
    pub webhook_client: reqwest::Client,
    /// Chain verifications started from the console, by organisation (this replica's).
    pub verifications: Arc<
        std::sync::Mutex<std::collections::HashMap<i64, crate::domain::audit::VerificationRun>>,
    >,
}

impl AppState {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, auth: AuthSettings) -> Self {
        let dummy =
            super::password::hash_password(&super::password::random_token(24)).unwrap_or_default();
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        AppState {
            db,
            clock,
            auth,
            dummy_password_hash: Arc::new(dummy),
            hashing: Arc::new(tokio::sync::Semaphore::new(cores)),
            secrets: Arc::new(
                super::mfa::SecretBox::from_base64(&super::mfa::SecretBox::generate_key())
                    .expect("a generated key is valid"),
            ),
            passkeys: Err("Passkeys are not configured.".into()),
            audit_signing_key: Arc::new(ed25519_dalek::SigningKey::from_bytes(&rand::random())),
            audit: Arc::default(),
            webhook_client: super::services::webhooks::client(false),
            verifications: Arc::default(),
        }
    }

    /// The same state with this key for checkpoints and these audit settings.
    pub fn with_audit(mut self, key: ed25519_dalek::SigningKey, settings: AuditSettings) -> Self {
        self.audit_signing_key = Arc::new(key);
        self.webhook_client = super::services::webhooks::client(settings.webhook_allow_private);
        self.audit = Arc::new(settings);
        self
    }

    /// The same state with passkeys for the console served at `public_url`.
    pub fn with_passkeys(mut self, public_url: &str) -> Self {
        self.passkeys = super::mfa::relying_party(public_url).map(Arc::new);
        self
    }

    /// The same state with this key for secrets at rest.
    pub fn with_secrets(mut self, secrets: super::mfa::SecretBox) -> Self {
        self.secrets = Arc::new(secrets);
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Verifies a password on the blocking pool, at most one hash per core at a time.
    pub async fn verify_password(&self, password: &str, hash: &str) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else {
            return false;
        };
        let (password, hash) = (password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || super::password::verify_password(&password, &hash))
            .await
            .unwrap_or(false)
    }

    /// Hashes a new password on the blocking pool, like [`AppState::verify_password`].
    pub async fn hash_password(&self, password: &str) -> Result<String, String> {
        let _permit = self.hashing.acquire().await.map_err(|e| e.to_string())?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            super::password::hash_password(&password).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }
}
