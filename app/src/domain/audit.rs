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
}

impl AuditAction {
    pub const ALL: [AuditAction; 35] = [
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

    pub fn parse(code: &str) -> Option<Self> {
        [Outcome::Success, Outcome::Failure, Outcome::Denied]
            .into_iter()
            .find(|o| o.code() == code)
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
