//! Audit event kinds and outcomes, stored as stable string codes.

use serde::{Deserialize, Serialize};

/// What happened. The code is what is stored and hashed; never reorder-sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    SignIn,
    SignOut,
    OrganisationCreated,
    AdministratorCreated,
    UserCreated,
    UserUpdated,
    UserSuspended,
    UserReactivated,
    SessionsRevoked,
    AccessDenied,
    DemoPasswordReset,
    DemoSeeded,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    TeamCreated,
    TeamUpdated,
    GroupCreated,
    GroupUpdated,
    MembersAdded,
    MembersRemoved,
    GroupNested,
    GroupUnnested,
    AssignmentCreated,
    AssignmentRevoked,
    MfaEnrolmentStarted,
    MfaEnrolled,
    MfaRemoved,
    MfaVerified,
    MfaFailed,
    MfaLocked,
    MfaRecoveryUsed,
    MfaRecoveryRegenerated,
    MfaReset,
    SettingsUpdated,
    AuditExported,
    AuditVerified,
    AuditCheckpointSigned,
    AuditArchived,
    AlertRaised,
    AlertAcknowledged,
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    CustomerPiiViewed,
}

impl AuditAction {
    pub const ALL: [AuditAction; 45] = [
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::OrganisationCreated,
        AuditAction::AdministratorCreated,
        AuditAction::UserCreated,
        AuditAction::UserUpdated,
        AuditAction::UserSuspended,
        AuditAction::UserReactivated,
        AuditAction::SessionsRevoked,
        AuditAction::AccessDenied,
        AuditAction::DemoPasswordReset,
        AuditAction::DemoSeeded,
        AuditAction::RoleCreated,
        AuditAction::RoleUpdated,
        AuditAction::RoleDeleted,
        AuditAction::TeamCreated,
        AuditAction::TeamUpdated,
        AuditAction::GroupCreated,
        AuditAction::GroupUpdated,
        AuditAction::MembersAdded,
        AuditAction::MembersRemoved,
        AuditAction::GroupNested,
        AuditAction::GroupUnnested,
        AuditAction::AssignmentCreated,
        AuditAction::AssignmentRevoked,
        AuditAction::MfaEnrolmentStarted,
        AuditAction::MfaEnrolled,
        AuditAction::MfaRemoved,
        AuditAction::MfaVerified,
        AuditAction::MfaFailed,
        AuditAction::MfaLocked,
        AuditAction::MfaRecoveryUsed,
        AuditAction::MfaRecoveryRegenerated,
        AuditAction::MfaReset,
        AuditAction::SettingsUpdated,
        AuditAction::AuditExported,
        AuditAction::AuditVerified,
        AuditAction::AuditCheckpointSigned,
        AuditAction::AuditArchived,
        AuditAction::AlertRaised,
        AuditAction::AlertAcknowledged,
        AuditAction::WebhookCreated,
        AuditAction::WebhookUpdated,
        AuditAction::WebhookDeleted,
        AuditAction::CustomerPiiViewed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditAction::SignIn => "auth.sign_in",
            AuditAction::SignOut => "auth.sign_out",
            AuditAction::OrganisationCreated => "organisation.created",
            AuditAction::AdministratorCreated => "user.administrator_created",
            AuditAction::UserCreated => "user.created",
            AuditAction::UserUpdated => "user.updated",
            AuditAction::UserSuspended => "user.suspended",
            AuditAction::UserReactivated => "user.reactivated",
            AuditAction::SessionsRevoked => "session.revoked",
            AuditAction::AccessDenied => "authz.denied",
            AuditAction::DemoPasswordReset => "user.password_reset",
            AuditAction::DemoSeeded => "demo.seeded",
            AuditAction::RoleCreated => "role.created",
            AuditAction::RoleUpdated => "role.updated",
            AuditAction::RoleDeleted => "role.deleted",
            AuditAction::TeamCreated => "team.created",
            AuditAction::TeamUpdated => "team.updated",
            AuditAction::GroupCreated => "group.created",
            AuditAction::GroupUpdated => "group.updated",
            AuditAction::MembersAdded => "membership.added",
            AuditAction::MembersRemoved => "membership.removed",
            AuditAction::GroupNested => "group.nested",
            AuditAction::GroupUnnested => "group.unnested",
            AuditAction::AssignmentCreated => "assignment.created",
            AuditAction::AssignmentRevoked => "assignment.revoked",
            AuditAction::MfaEnrolmentStarted => "mfa.enrolment_started",
            AuditAction::MfaEnrolled => "mfa.enrolled",
            AuditAction::MfaRemoved => "mfa.removed",
            AuditAction::MfaVerified => "mfa.verified",
            AuditAction::MfaFailed => "mfa.failed",
            AuditAction::MfaLocked => "mfa.locked",
            AuditAction::MfaRecoveryUsed => "mfa.recovery_used",
            AuditAction::MfaRecoveryRegenerated => "mfa.recovery_regenerated",
            AuditAction::MfaReset => "mfa.reset",
            AuditAction::SettingsUpdated => "settings.updated",
            AuditAction::AuditExported => "audit.exported",
            AuditAction::AuditVerified => "audit.verified",
            AuditAction::AuditCheckpointSigned => "audit.checkpoint_signed",
            AuditAction::AuditArchived => "audit.archived",
            AuditAction::AlertRaised => "alert.raised",
            AuditAction::AlertAcknowledged => "alert.acknowledged",
            AuditAction::WebhookCreated => "webhook.created",
            AuditAction::WebhookUpdated => "webhook.updated",
            AuditAction::WebhookDeleted => "webhook.deleted",
            AuditAction::CustomerPiiViewed => "customer.pii_viewed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    /// Plain-language label for the console.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignIn => "signed in",
            AuditAction::SignOut => "signed out",
            AuditAction::OrganisationCreated => "created the organisation",
            AuditAction::AdministratorCreated => "created administrator",
            AuditAction::UserCreated => "added",
            AuditAction::UserUpdated => "changed",
            AuditAction::UserSuspended => "suspended",
            AuditAction::UserReactivated => "reactivated",
            AuditAction::SessionsRevoked => "ended the sessions of",
            AuditAction::AccessDenied => "was refused",
            AuditAction::DemoPasswordReset => "reset the password of",
            AuditAction::DemoSeeded => "seeded the demo workspace",
            AuditAction::RoleCreated => "created the role",
            AuditAction::RoleUpdated => "changed the role",
            AuditAction::RoleDeleted => "deleted the role",
            AuditAction::TeamCreated => "created the team",
            AuditAction::TeamUpdated => "changed the team",
            AuditAction::GroupCreated => "created the group",
            AuditAction::GroupUpdated => "changed the group",
            AuditAction::MembersAdded => "added members to",
            AuditAction::MembersRemoved => "removed members from",
            AuditAction::GroupNested => "nested a group in",
            AuditAction::GroupUnnested => "took a group out of",
            AuditAction::AssignmentCreated => "gave a role to",
            AuditAction::AssignmentRevoked => "took a role from",
            AuditAction::MfaEnrolmentStarted => "started setting up an authenticator app for",
            AuditAction::MfaEnrolled => "turned on an authenticator app for",
            AuditAction::MfaRemoved => "removed the authenticator app of",
            AuditAction::MfaVerified => "passed the second step",
            AuditAction::MfaFailed => "failed the second step",
            AuditAction::MfaLocked => "locked second-step attempts of",
            AuditAction::MfaRecoveryUsed => "used a recovery code",
            AuditAction::MfaRecoveryRegenerated => "made new recovery codes for",
            AuditAction::MfaReset => "reset the second factors of",
            AuditAction::SettingsUpdated => "changed the settings of",
            AuditAction::AuditExported => "exported the audit log of",
            AuditAction::AuditVerified => "verified the audit chain of",
            AuditAction::AuditCheckpointSigned => "signed a checkpoint of the audit chain of",
            AuditAction::AuditArchived => "archived old audit events of",
            AuditAction::AlertRaised => "raised an alert about",
            AuditAction::AlertAcknowledged => "acknowledged the alert",
            AuditAction::WebhookCreated => "added the SIEM webhook",
            AuditAction::WebhookUpdated => "changed the SIEM webhook",
            AuditAction::WebhookDeleted => "deleted the SIEM webhook",
            AuditAction::CustomerPiiViewed => "saw personal data of customers",
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    pub const ALL: [Outcome; 3] = [Outcome::Success, Outcome::Failure, Outcome::Denied];

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// One line of recent activity on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityItem {
    pub seq: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action_code: String,
    pub action_label: String,
    pub target: Option<String>,
    pub outcome: String,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardFigures {
    pub active: u64,
    pub suspended: u64,
    pub deactivated: u64,
    pub sign_ins_today: u64,
    pub failed_sign_ins_today: u64,
    pub recent: Vec<ActivityItem>,
    /// Second-factor adoption per team and per role: (name, with a factor, everyone).
    pub mfa_by_team: Vec<(String, u64, u64)>,
    pub mfa_by_role: Vec<(String, u64, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for action in AuditAction::ALL {
            assert!(seen.insert(action.code()));
            assert_eq!(AuditAction::parse(action.code()), Some(action));
        }
    }
}

/// The audit log's filters, as the query string of `/audit` (and of its exports) carries them.
/// Empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// From this date or time (UTC), inclusive: `2026-11-25` or `2026-11-25T14:30`.
    #[serde(default)]
    pub from: String,
    /// Up to this date (the whole day) or time (UTC), inclusive.
    #[serde(default)]
    pub to: String,
    /// The actor's email or label, exactly.
    #[serde(default)]
    pub actor: String,
    /// A category (`role`) or an action code (`role.updated`).
    #[serde(default)]
    pub action: String,
    /// What kind of thing the event is about (`user`, `role`, `team`, …) …
    #[serde(default)]
    pub target_type: String,
    /// … and which one.
    #[serde(default)]
    pub target_id: String,
    /// `success`, `failure` or `denied`.
    #[serde(default)]
    pub outcome: String,
    /// The client address, or its beginning (`10.1.`).
    #[serde(default)]
    pub client: String,
    /// Words in the actor's or the target's name.
    #[serde(default)]
    pub q: String,
    /// Events older than this sequence number (the next page).
    #[serde(default)]
    pub before: String,
}

impl AuditQuery {
    /// The query string for these filters (without the page cursor), for links and exports.
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("from", &self.from),
            ("to", &self.to),
            ("actor", &self.actor),
            ("action", &self.action),
            ("target_type", &self.target_type),
            ("target_id", &self.target_id),
            ("outcome", &self.outcome),
            ("client", &self.client),
            ("q", &self.q),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Whether any filter is set.
    pub fn is_filtered(&self) -> bool {
        !self.to_query_string().is_empty()
    }
}

/// Percent-encodes `text` for a query string (RFC 3986 unreserved characters stay).
pub fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub occurred_at: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action_code: String,
    pub action_label: String,
    pub target_type: Option<String>,
    pub target_id: Option<i64>,
    pub target: Option<String>,
    pub outcome: String,
    pub client: Option<String>,
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// The `before` of the next (older) page, if there is one.
    pub next_before: Option<i64>,
    /// Whether the viewer may download the log.
    pub may_export: bool,
}

/// One line of an event's before/after comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// The field, with nested fields joined by dots (`scope.region`).
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl DiffLine {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// An event with everything stored about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventDetail {
    pub row: AuditRow,
    pub user_agent: Option<String>,
    pub diff: Vec<DiffLine>,
    pub hash: String,
    pub prev_hash: String,
}

/// The before/after comparison of two JSON documents, field by field, in field order.
pub fn diff(
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Vec<DiffLine> {
    use std::collections::BTreeMap;
    fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
        match value {
            serde_json::Value::Object(map) if !map.is_empty() => {
                for (key, inner) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    flatten(&path, inner, out);
                }
            }
            serde_json::Value::String(text) => {
                out.insert(prefix.to_owned(), text.clone());
            }
            serde_json::Value::Array(items) if items.iter().all(|i| !i.is_object()) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect();
                out.insert(prefix.to_owned(), parts.join(", "));
            }
            other => {
                out.insert(prefix.to_owned(), other.to_string());
            }
        }
    }
    let (mut old, mut new) = (BTreeMap::new(), BTreeMap::new());
    if let Some(v) = before {
        flatten("", v, &mut old);
    }
    if let Some(v) = after {
        flatten("", v, &mut new);
    }
    let mut fields: Vec<String> = old.keys().chain(new.keys()).cloned().collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .map(|field| DiffLine {
            before: old.get(&field).cloned(),
            after: new.get(&field).cloned(),
            field: if field.is_empty() {
                "value".into()
            } else {
                field
            },
        })
        .collect()
}

/// The latest chain verification of an organisation, as the integrity page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityStatus {
    /// Events in the chain now (the head's sequence number).
    pub head_seq: i64,
    pub run: Option<VerificationRun>,
    /// The newest signed checkpoints, newest first.
    pub checkpoints: Vec<CheckpointView>,
    /// base64 of the public key that signs checkpoints.
    pub public_key: String,
    /// Archives of events past the retention period, newest first.
    pub archives: Vec<ArchiveView>,
    /// The retention period in days; `None` keeps every event in the database.
    pub retention_days: Option<i32>,
}

/// A signed checkpoint of the chain head, as the integrity page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointView {
    pub seq: i64,
    pub hash: String,
    pub signed_at: String,
    /// Whether the signature holds under this deployment's key.
    pub signature_valid: bool,
}

/// An archive of events moved out of the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveView {
    pub first_seq: i64,
    pub last_seq: i64,
    pub events: i64,
    pub oldest_at: String,
    pub newest_at: String,
    pub file_name: String,
    pub file_bytes: i64,
    pub last_hash: String,
}

/// One verification, running or finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationRun {
    pub started_at: String,
    pub started_by: String,
    /// Events checked so far, of `total`.
    pub checked: u64,
    pub total: u64,
    pub finished_at: Option<String>,
    /// `None` while running; then whether the chain is intact.
    pub intact: Option<bool>,
    /// Where the chain first breaks, and why.
    pub break_seq: Option<i64>,
    pub reason: Option<String>,
}

#[cfg(test)]
mod audit_log_tests {
    use super::*;

    #[test]
    fn a_diff_lists_changed_added_and_removed_fields_by_path() {
        let before = serde_json::json!({ "name": "Agents", "scope": { "region": "EMEA" }, "permissions": ["ticket.view"] });
        let after = serde_json::json!({ "name": "Agents", "scope": { "region": "NA" }, "owner": "bo@x.test", "permissions": ["ticket.view", "ticket.edit"] });
        let lines = diff(Some(&before), Some(&after));
        let find = |f: &str| lines.iter().find(|l| l.field == f).unwrap().clone();
        assert!(!find("name").changed());
        assert_eq!(find("scope.region").before.as_deref(), Some("EMEA"));
        assert_eq!(find("scope.region").after.as_deref(), Some("NA"));
        assert_eq!(find("owner").before, None);
        assert_eq!(
            find("permissions").after.as_deref(),
            Some("ticket.view, ticket.edit")
        );
        assert!(diff(None, None).is_empty());
    }

    #[test]
    fn filters_round_trip_through_the_query_string() {
        let query = AuditQuery {
            actor: "a+b@x.test".into(),
            action: "role".into(),
            q: "EMEA Tier 1".into(),
            ..AuditQuery::default()
        };
        assert_eq!(
            query.to_query_string(),
            "actor=a%2Bb%40x.test&action=role&q=EMEA%20Tier%201"
        );
        assert!(!AuditQuery::default().is_filtered());
    }
}

/// The kinds of unusual activity the alert rules look for. Stored by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlertKind {
    /// Many failed sign-ins for one account.
    FailedSignInsAccount,
    /// Many failed sign-ins from one client address.
    FailedSignInsAddress,
    /// Someone saw customers' personal data far above their usual rate.
    RecordViews,
    /// An administrative change outside business hours.
    AfterHoursChange,
    /// Someone was given the Administrator role (or a role with every permission).
    AdministratorGranted,
    /// An administrator's second factor was removed.
    AdminMfaRemoved,
}

impl AlertKind {
    pub const ALL: [AlertKind; 6] = [
        AlertKind::FailedSignInsAccount,
        AlertKind::FailedSignInsAddress,
        AlertKind::RecordViews,
        AlertKind::AfterHoursChange,
        AlertKind::AdministratorGranted,
        AlertKind::AdminMfaRemoved,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AlertKind::FailedSignInsAccount => "failed_sign_ins_account",
            AlertKind::FailedSignInsAddress => "failed_sign_ins_address",
            AlertKind::RecordViews => "record_views",
            AlertKind::AfterHoursChange => "after_hours_change",
            AlertKind::AdministratorGranted => "administrator_granted",
            AlertKind::AdminMfaRemoved => "admin_mfa_removed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Plain-language title for the console.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::FailedSignInsAccount => "Many failed sign-ins for one account",
            AlertKind::FailedSignInsAddress => "Many failed sign-ins from one address",
            AlertKind::RecordViews => "Unusually many customer records viewed",
            AlertKind::AfterHoursChange => "Admin change outside business hours",
            AlertKind::AdministratorGranted => "Administrator role given",
            AlertKind::AdminMfaRemoved => "Second factor removed from an administrator",
        }
    }

    /// How serious: `high` or `medium`.
    pub fn severity(self) -> &'static str {
        match self {
            AlertKind::AdministratorGranted
            | AlertKind::AdminMfaRemoved
            | AlertKind::RecordViews => "high",
            _ => "medium",
        }
    }
}

/// One alert as the alerts page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub severity: String,
    pub subject: String,
    pub summary: String,
    pub event_seq: i64,
    pub raised_at: String,
    pub acknowledged: Option<String>,
}

/// A page of alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPage {
    pub rows: Vec<AlertRow>,
    pub open: u64,
    /// Cursor for the next page (alerts with a smaller id), when there is one.
    pub next_before: Option<i64>,
}

/// A webhook sink as the SIEM page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub delivered_seq: i64,
    /// Events of the chain not yet delivered (an upper bound for alerts-only sinks).
    pub behind: i64,
    pub failures: i32,
    pub next_attempt_at: String,
    pub last_error: Option<String>,
    pub last_success_at: Option<String>,
}

/// The audit operations page: retention, business hours and SIEM sinks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditOperations {
    pub retention_days: Option<i32>,
    pub business_hours_start: i32,
    pub business_hours_end: i32,
    pub sinks: Vec<WebhookRow>,
}

/// Chart data for the dashboard, drawn as SVG on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityCharts {
    /// (day `MM-DD`, events) for the last 14 days, oldest first.
    pub events_by_day: Vec<(String, u64)>,
    /// (day, successful sign-ins, failed sign-ins), oldest first.
    pub sign_ins_by_day: Vec<(String, u64, u64)>,
    /// (actor, events) over the last 7 days, most active first.
    pub top_actors: Vec<(String, u64)>,
    pub open_alerts: u64,
    pub latest_alerts: Vec<AlertRow>,
}
