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
}

impl AuditAction {
    pub const ALL: [AuditAction; 12] = [
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
