//! The permission catalog: every action on every resource kind, defined once.

use serde::{Deserialize, Serialize};

/// How much harm misuse of a permission can do; drives step-up and audit of decisions later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sensitivity {
    Low,
    Medium,
    High,
}

/// One permission of the catalog. Stored and exchanged by its `code`, never by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    TicketView,
    FeedbackView,
    CustomerView,
    CustomerViewPii,
    UserView,
    UserCreate,
    UserEdit,
    UserSuspend,
    AuditEventView,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::TicketView,
        Permission::FeedbackView,
        Permission::CustomerView,
        Permission::CustomerViewPii,
        Permission::UserView,
        Permission::UserCreate,
        Permission::UserEdit,
        Permission::UserSuspend,
        Permission::AuditEventView,
    ];

    /// The stable code, `resource.action`.
    pub fn code(self) -> &'static str {
        self.entry().0
    }

    pub fn description(self) -> &'static str {
        self.entry().1
    }

    pub fn sensitivity(self) -> Sensitivity {
        self.entry().2
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    fn entry(self) -> (&'static str, &'static str, Sensitivity) {
        use Sensitivity::*;
        match self {
            Permission::TicketView => (
                "ticket.view",
                "See support tickets and their conversation",
                Low,
            ),
            Permission::FeedbackView => {
                ("feedback.view", "Read survey responses and comments", Low)
            }
            Permission::CustomerView => (
                "customer.view",
                "See customer accounts without personal data",
                Low,
            ),
            Permission::CustomerViewPii => (
                "customer.view_pii",
                "See customers' personal data: email, phone, address",
                High,
            ),
            Permission::UserView => (
                "user.view",
                "See people in the organisation and their attributes",
                Low,
            ),
            Permission::UserCreate => ("user.create", "Add people to the organisation", Medium),
            Permission::UserEdit => ("user.edit", "Change people's names and attributes", Medium),
            Permission::UserSuspend => (
                "user.suspend",
                "Suspend and reactivate people; ends their sessions at once",
                High,
            ),
            Permission::AuditEventView => ("audit_event.view", "Read the audit log", Medium),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for p in Permission::ALL {
            assert!(seen.insert(p.code()), "duplicate code {}", p.code());
            assert_eq!(Permission::parse(p.code()), Some(p));
            assert!(!p.description().is_empty());
        }
    }
}
