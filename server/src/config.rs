//! Layered configuration: defaults, then an optional TOML file, then `CASTELLAN_*` variables.

use anyhow::Context;
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// A value that must never be printed: `Debug` shows `[redacted]`.
#[derive(Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Everything Castellan can be configured with. See the README's configuration table.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://path?mode=rwc` or `postgres://…`. Contains a password for PostgreSQL.
    pub database_url: Secret,
    /// Address to listen on.
    pub addr: String,
    /// The address people use in their browser, used in printed links. Defaults to `http://{addr}`.
    pub public_url: Option<String>,
    /// Mark cookies `Secure`. Defaults to true when `public_url` is https.
    pub secure_cookies: Option<bool>,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    pub idle_timeout_minutes: i64,
    pub absolute_timeout_minutes: i64,
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info` or `castellan=debug,info`.
    pub log_level: String,
    /// Where the compiled wasm, JavaScript and CSS live.
    pub site_root: String,
    /// Largest number of database connections.
    pub max_connections: u32,
    /// Failed sign-ins for one account, within the throttle window, before it is locked.
    pub account_failure_limit: i32,
    /// Failed sign-ins from one client address, within the window, before it is locked.
    pub address_failure_limit: i32,
    /// The throttle window and lock length, in minutes.
    pub throttle_window_minutes: i64,
    /// Sensitive actions (managing roles, resetting factors, settings) need the second step
    /// passed within this many minutes, for people who have a second factor.
    pub step_up_minutes: i64,
    /// Key for second-factor secrets at rest: base64 of 32 random bytes. Set it in production
    /// (from a secret store); without it the key is kept in `mfa_key_file`.
    pub mfa_key: Option<Secret>,
    /// Where the key is kept when `mfa_key` is not set (created on first start, mode 0600).
    pub mfa_key_file: String,
    /// Ed25519 key that signs the daily audit checkpoints: base64 of a 32-byte seed. Set it in
    /// production (from a secret store, the same on every replica); without it the key is kept
    /// in `audit_signing_key_file`.
    pub audit_signing_key: Option<Secret>,
    /// Where the signing key is kept when `audit_signing_key` is not set.
    pub audit_signing_key_file: String,
    /// Where archives of events past an organisation's retention period are written (shared
    /// storage when there are several replicas).
    pub audit_archive_dir: String,
    /// Seconds between runs of the background jobs (SIEM delivery, alert rules, daily
    /// checkpoints, retention); 0 turns them off on this replica.
    pub jobs_interval_seconds: u64,
    /// Allow webhook receivers on private and loopback addresses.
    pub webhook_allow_private: bool,
    /// Longest wait between delivery attempts to a failing receiver, in seconds.
    pub webhook_max_backoff_seconds: i64,
    /// Failed sign-ins of one account within 15 minutes that raise an alert.
    pub alert_failed_sign_ins_account: u64,
    /// Failed sign-ins from one address within 15 minutes that raise an alert.
    pub alert_failed_sign_ins_address: u64,
    /// Customer records with personal data seen in an hour before the rate rule looks at all.
    pub alert_record_views_minimum: u64,
    /// How many times a person's usual hourly rate raises an alert.
    pub alert_record_views_factor: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: Secret::new("sqlite://data/castellan.db?mode=rwc"),
            addr: "127.0.0.1:3000".into(),
            public_url: None,
            secure_cookies: None,
            trust_forwarded_for: false,
            idle_timeout_minutes: 30,
            absolute_timeout_minutes: 12 * 60,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            site_root: "target/site".into(),
            max_connections: 10,
            account_failure_limit: 5,
            address_failure_limit: 50,
            throttle_window_minutes: 15,
            step_up_minutes: 15,
            mfa_key: None,
            mfa_key_file: "data/mfa.key".into(),
            audit_signing_key: None,
            audit_signing_key_file: "data/audit-signing.key".into(),
            audit_archive_dir: "data/audit-archive".into(),
            jobs_interval_seconds: 5,
            webhook_allow_private: false,
            webhook_max_backoff_seconds: 300,
            alert_failed_sign_ins_account: 10,
            alert_failed_sign_ins_address: 30,
            alert_record_views_minimum: 200,
            alert_record_views_factor: 5,
        }
    }
}

impl Config {
    /// The key that seals second-factor secrets: `mfa_key`, else the key file (created with a
    /// fresh random key on first use, readable only by its owner).
    pub fn mfa_secrets(&self) -> anyhow::Result<app::server::mfa::SecretBox> {
        use app::server::mfa::SecretBox;
        let text = match &self.mfa_key {
            Some(key) => key.expose().to_owned(),
            None => key_file(
                &self.mfa_key_file,
                SecretBox::generate_key,
                "CASTELLAN_MFA_KEY",
            )?,
        };
        SecretBox::from_base64(&text).map_err(anyhow::Error::msg)
    }

    /// The key that signs audit checkpoints: `audit_signing_key`, else its key file.
    pub fn audit_signing_key(&self) -> anyhow::Result<ed25519_dalek::SigningKey> {
        use app::server::services::checkpoint;
        let text = match &self.audit_signing_key {
            Some(key) => key.expose().to_owned(),
            None => key_file(
                &self.audit_signing_key_file,
                checkpoint::generate_signing_key,
                "CASTELLAN_AUDIT_SIGNING_KEY",
            )?,
        };
        checkpoint::signing_key_from_base64(&text).map_err(anyhow::Error::msg)
    }

    /// How the audit log is operated.
    pub fn audit_settings(&self) -> app::server::state::AuditSettings {
        app::server::state::AuditSettings {
            archive_dir: self.audit_archive_dir.clone().into(),
            webhook_allow_private: self.webhook_allow_private,
            webhook_max_backoff_seconds: self.webhook_max_backoff_seconds,
            alert_failed_sign_ins_account: self.alert_failed_sign_ins_account,
            alert_failed_sign_ins_address: self.alert_failed_sign_ins_address,
            alert_record_views_minimum: self.alert_record_views_minimum,
            alert_record_views_factor: self.alert_record_views_factor,
            ..Default::default()
        }
    }

    /// Loads defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("could not read the configuration file {}", path.display())
                })?;
                toml::from_str(&text)
                    .with_context(|| format!("{} is not valid configuration", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|key| std::env::var(key).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Applies `CASTELLAN_*` variables read through `get`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(key: &str, value: String) -> anyhow::Result<T> {
            value
                .parse()
                .map_err(|_| anyhow::anyhow!("{key} has an invalid value"))
        }
        if let Some(v) = get("CASTELLAN_DATABASE_URL") {
            self.database_url = Secret::new(v);
        }
        if let Some(v) = get("CASTELLAN_ADDR") {
            self.addr = v;
        }
        if let Some(v) = get("CASTELLAN_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("CASTELLAN_SECURE_COOKIES") {
            self.secure_cookies = Some(parse("CASTELLAN_SECURE_COOKIES", v)?);
        }
        if let Some(v) = get("CASTELLAN_TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = parse("CASTELLAN_TRUST_FORWARDED_FOR", v)?;
        }
        if let Some(v) = get("CASTELLAN_IDLE_TIMEOUT_MINUTES") {
            self.idle_timeout_minutes = parse("CASTELLAN_IDLE_TIMEOUT_MINUTES", v)?;
        }
        if let Some(v) = get("CASTELLAN_ABSOLUTE_TIMEOUT_MINUTES") {
            self.absolute_timeout_minutes = parse("CASTELLAN_ABSOLUTE_TIMEOUT_MINUTES", v)?;
        }
        if let Some(v) = get("CASTELLAN_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                _ => anyhow::bail!("CASTELLAN_LOG_FORMAT must be text or json"),
            };
        }
        if let Some(v) = get("CASTELLAN_LOG_LEVEL") {
            self.log_level = v;
        }
        if let Some(v) = get("CASTELLAN_SITE_ROOT") {
            self.site_root = v;
        }
        if let Some(v) = get("CASTELLAN_ACCOUNT_FAILURE_LIMIT") {
            self.account_failure_limit = parse("CASTELLAN_ACCOUNT_FAILURE_LIMIT", v)?;
        }
        if let Some(v) = get("CASTELLAN_ADDRESS_FAILURE_LIMIT") {
            self.address_failure_limit = parse("CASTELLAN_ADDRESS_FAILURE_LIMIT", v)?;
        }
        if let Some(v) = get("CASTELLAN_THROTTLE_WINDOW_MINUTES") {
            self.throttle_window_minutes = parse("CASTELLAN_THROTTLE_WINDOW_MINUTES", v)?;
        }
        if let Some(v) = get("CASTELLAN_STEP_UP_MINUTES") {
            self.step_up_minutes = parse("CASTELLAN_STEP_UP_MINUTES", v)?;
        }
        if let Some(v) = get("CASTELLAN_MFA_KEY") {
            self.mfa_key = Some(Secret::new(v));
        }
        if let Some(v) = get("CASTELLAN_MFA_KEY_FILE") {
            self.mfa_key_file = v;
        }
        if let Some(v) = get("CASTELLAN_AUDIT_SIGNING_KEY") {
            self.audit_signing_key = Some(Secret::new(v));
        }
        if let Some(v) = get("CASTELLAN_AUDIT_SIGNING_KEY_FILE") {
            self.audit_signing_key_file = v;
        }
        if let Some(v) = get("CASTELLAN_AUDIT_ARCHIVE_DIR") {
            self.audit_archive_dir = v;
        }
        if let Some(v) = get("CASTELLAN_JOBS_INTERVAL_SECONDS") {
            self.jobs_interval_seconds = parse("CASTELLAN_JOBS_INTERVAL_SECONDS", v)?;
        }
        if let Some(v) = get("CASTELLAN_WEBHOOK_ALLOW_PRIVATE") {
            self.webhook_allow_private = parse("CASTELLAN_WEBHOOK_ALLOW_PRIVATE", v)?;
        }
        if let Some(v) = get("CASTELLAN_WEBHOOK_MAX_BACKOFF_SECONDS") {
            self.webhook_max_backoff_seconds = parse("CASTELLAN_WEBHOOK_MAX_BACKOFF_SECONDS", v)?;
        }
        if let Some(v) = get("CASTELLAN_ALERT_FAILED_SIGN_INS_ACCOUNT") {
            self.alert_failed_sign_ins_account =
                parse("CASTELLAN_ALERT_FAILED_SIGN_INS_ACCOUNT", v)?;
        }
        if let Some(v) = get("CASTELLAN_ALERT_FAILED_SIGN_INS_ADDRESS") {
            self.alert_failed_sign_ins_address =
                parse("CASTELLAN_ALERT_FAILED_SIGN_INS_ADDRESS", v)?;
        }
        if let Some(v) = get("CASTELLAN_ALERT_RECORD_VIEWS_MINIMUM") {
            self.alert_record_views_minimum = parse("CASTELLAN_ALERT_RECORD_VIEWS_MINIMUM", v)?;
        }
        if let Some(v) = get("CASTELLAN_ALERT_RECORD_VIEWS_FACTOR") {
            self.alert_record_views_factor = parse("CASTELLAN_ALERT_RECORD_VIEWS_FACTOR", v)?;
        }
        if let Some(v) = get("CASTELLAN_MAX_CONNECTIONS") {
            self.max_connections = parse("CASTELLAN_MAX_CONNECTIONS", v)?;
        }
        Ok(())
    }

    fn validate(&self) -> anyhow::Result<()> {
        let url = self.database_url.expose();
        anyhow::ensure!(
            url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"),
            "CASTELLAN_DATABASE_URL must start with sqlite: or postgres://"
        );
        anyhow::ensure!(
            self.idle_timeout_minutes > 0,
            "the idle timeout must be positive"
        );
        anyhow::ensure!(
            self.absolute_timeout_minutes >= self.idle_timeout_minutes,
            "the absolute timeout must be at least the idle timeout"
        );
        anyhow::ensure!(self.max_connections > 0, "max_connections must be positive");
        anyhow::ensure!(
            self.alert_failed_sign_ins_account > 0
                && self.alert_failed_sign_ins_address > 0
                && self.alert_record_views_factor > 0,
            "alert thresholds must be positive"
        );
        anyhow::ensure!(
            self.webhook_max_backoff_seconds > 0,
            "webhook_max_backoff_seconds must be positive"
        );
        anyhow::ensure!(
            self.account_failure_limit > 0
                && self.address_failure_limit > 0
                && self.throttle_window_minutes > 0,
            "throttle limits and window must be positive"
        );
        Ok(())
    }

    /// The address people open, for printed links and as the passkeys' relying party. Without
    /// a configured one, a loopback address is named `localhost`: browsers hold passkeys only
    /// for domain names, and treat localhost as a secure context.
    pub fn public_url(&self, bound: std::net::SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| {
                if bound.ip().is_loopback() {
                    format!("http://localhost:{}", bound.port())
                } else {
                    format!("http://{bound}")
                }
            })
            .trim_end_matches('/')
            .to_owned()
    }

    /// Whether cookies get the `Secure` flag.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies.unwrap_or_else(|| {
            self.public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
        })
    }
}

/// Reads a key kept in a file, creating the file with a fresh key (readable only by its owner)
/// on first use.
fn key_file(file: &str, generate: fn() -> String, variable: &str) -> anyhow::Result<String> {
    let path = Path::new(file);
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("could not create {}", dir.display()))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .with_context(|| format!("could not create {}", path.display()))?;
        std::io::Write::write_all(&mut file, generate().as_bytes())?;
        tracing::warn!(
            file = %path.display(),
            "created a key file; in production set {variable} from a secret store"
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_and_defaults() {
        let mut config: Config =
            toml::from_str("addr = \"0.0.0.0:8080\"\nidle_timeout_minutes = 10").unwrap();
        assert_eq!(config.addr, "0.0.0.0:8080");
        config
            .apply_env(|k| match k {
                "CASTELLAN_ADDR" => Some("127.0.0.1:9000".into()),
                "CASTELLAN_PUBLIC_URL" => Some("https://castellan.example".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.addr, "127.0.0.1:9000");
        assert_eq!(config.idle_timeout_minutes, 10);
        assert!(config.cookies_secure());
    }

    #[test]
    fn a_loopback_address_is_opened_as_localhost_for_passkeys() {
        let config = Config::default();
        let bound: std::net::SocketAddr = "127.0.0.1:3000".parse().unwrap();
        assert_eq!(config.public_url(bound), "http://localhost:3000");
        let open: std::net::SocketAddr = "10.1.2.3:8080".parse().unwrap();
        assert_eq!(config.public_url(open), "http://10.1.2.3:8080");
        let configured = Config {
            public_url: Some("https://castellan.example.com/".into()),
            ..Config::default()
        };
        assert_eq!(
            configured.public_url(bound),
            "https://castellan.example.com"
        );
        assert!(app::server::mfa::relying_party(&configured.public_url(bound)).is_ok());
        assert!(app::server::mfa::relying_party("http://10.1.2.3:8080")
            .unwrap_err()
            .contains("domain name"));
    }

    #[test]
    fn database_password_is_not_printed() {
        let config = Config {
            database_url: Secret::new("postgres://u:hunter2@db/x"),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        assert!(toml::from_str::<Config>("adr = \"x\"").is_err());
        let mut config = Config::default();
        assert!(config
            .apply_env(|k| (k == "CASTELLAN_IDLE_TIMEOUT_MINUTES").then(|| "soon".into()))
            .is_err());
    }
}
