//! The permission catalog: every action on every resource kind, defined once. Permissions are
//! stored and exchanged by their `resource.action` code, never by position.

use serde::{Deserialize, Serialize};

/// How much harm misuse of a permission can do; drives step-up and the audit of decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sensitivity {
    Low,
    Medium,
    High,
}

impl Sensitivity {
    pub fn label(self) -> &'static str {
        match self {
            Sensitivity::Low => "Low",
            Sensitivity::Medium => "Medium",
            Sensitivity::High => "High",
        }
    }
}

/// The kinds of thing a permission is about: the CX platform's records and the console's own
/// objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResourceKind {
    Ticket,
    Feedback,
    Customer,
    Report,
    Survey,
    User,
    Role,
    Team,
    Group,
    Policy,
    AuditEvent,
    AccessReview,
    Integration,
    Settings,
}

/// The sections of the permission matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KindGroup {
    CxRecords,
    PeopleAndAccess,
    Governance,
}

impl KindGroup {
    pub const ALL: [KindGroup; 3] = [
        KindGroup::CxRecords,
        KindGroup::PeopleAndAccess,
        KindGroup::Governance,
    ];

    pub fn label(self) -> &'static str {
        match self {
            KindGroup::CxRecords => "CX records",
            KindGroup::PeopleAndAccess => "People and access",
            KindGroup::Governance => "Governance",
        }
    }
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 14] = [
        ResourceKind::Ticket,
        ResourceKind::Feedback,
        ResourceKind::Customer,
        ResourceKind::Report,
        ResourceKind::Survey,
        ResourceKind::User,
        ResourceKind::Role,
        ResourceKind::Team,
        ResourceKind::Group,
        ResourceKind::Policy,
        ResourceKind::AuditEvent,
        ResourceKind::AccessReview,
        ResourceKind::Integration,
        ResourceKind::Settings,
    ];

    pub fn code(self) -> &'static str {
        self.entry().0
    }

    pub fn label(self) -> &'static str {
        self.entry().1
    }

    pub fn group(self) -> KindGroup {
        self.entry().2
    }

    fn entry(self) -> (&'static str, &'static str, KindGroup) {
        use KindGroup::*;
        match self {
            ResourceKind::Ticket => ("ticket", "Tickets", CxRecords),
            ResourceKind::Feedback => ("feedback", "Feedback", CxRecords),
            ResourceKind::Customer => ("customer", "Customers", CxRecords),
            ResourceKind::Report => ("report", "Reports", CxRecords),
            ResourceKind::Survey => ("survey", "Surveys", CxRecords),
            ResourceKind::User => ("user", "People", PeopleAndAccess),
            ResourceKind::Role => ("role", "Roles", PeopleAndAccess),
            ResourceKind::Team => ("team", "Teams", PeopleAndAccess),
            ResourceKind::Group => ("group", "Groups", PeopleAndAccess),
            ResourceKind::Policy => ("policy", "Policies", PeopleAndAccess),
            ResourceKind::AuditEvent => ("audit_event", "Audit log", Governance),
            ResourceKind::AccessReview => ("access_review", "Access reviews", Governance),
            ResourceKind::Integration => ("integration", "Integrations", Governance),
            ResourceKind::Settings => ("settings", "Settings", Governance),
        }
    }
}

/// The verbs of the catalog: the columns of the permission matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    View,
    ViewPii,
    Create,
    Edit,
    Assign,
    Export,
    Delete,
    Suspend,
    Manage,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::View,
        Action::ViewPii,
        Action::Create,
        Action::Edit,
        Action::Assign,
        Action::Export,
        Action::Delete,
        Action::Suspend,
        Action::Manage,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::ViewPii => "view_pii",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Assign => "assign",
            Action::Export => "export",
            Action::Delete => "delete",
            Action::Suspend => "suspend",
            Action::Manage => "manage",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::View => "View",
            Action::ViewPii => "View personal data",
            Action::Create => "Create",
            Action::Edit => "Edit",
            Action::Assign => "Assign",
            Action::Export => "Export",
            Action::Delete => "Delete",
            Action::Suspend => "Suspend",
            Action::Manage => "Manage",
        }
    }
}

macro_rules! catalog {
    ($($variant:ident = $kind:ident . $action:ident, $code:literal, $sensitivity:ident, $description:literal;)*) => {
        /// One permission of the catalog.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Permission {
            $($variant,)*
        }

        impl Permission {
            /// Every permission, in catalog order (resource kind, then action).
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            fn entry(self) -> (ResourceKind, Action, &'static str, Sensitivity, &'static str) {
                match self {
                    $(Permission::$variant => (
                        ResourceKind::$kind,
                        Action::$action,
                        $code,
                        Sensitivity::$sensitivity,
                        $description,
                    ),)*
                }
            }
        }
    };
}

catalog! {
    TicketView = Ticket.View, "ticket.view", Low, "See support tickets and their conversation";
    TicketCreate = Ticket.Create, "ticket.create", Low, "Open tickets on behalf of customers";
    TicketEdit = Ticket.Edit, "ticket.edit", Low, "Reply to tickets and change their status and priority";
    TicketAssign = Ticket.Assign, "ticket.assign", Medium, "Give tickets to other agents or teams";
    TicketExport = Ticket.Export, "ticket.export", High, "Download tickets in bulk";
    TicketDelete = Ticket.Delete, "ticket.delete", High, "Delete tickets for good";
    FeedbackView = Feedback.View, "feedback.view", Low, "Read survey responses and comments";
    FeedbackExport = Feedback.Export, "feedback.export", High, "Download survey responses in bulk";
    FeedbackDelete = Feedback.Delete, "feedback.delete", High, "Delete survey responses";
    CustomerView = Customer.View, "customer.view", Low, "See customer accounts without personal data";
    CustomerViewPii = Customer.ViewPii, "customer.view_pii", High, "See customers' personal data: email, phone, address";
    CustomerEdit = Customer.Edit, "customer.edit", Medium, "Change customer accounts";
    CustomerExport = Customer.Export, "customer.export", High, "Download customer lists in bulk";
    CustomerDelete = Customer.Delete, "customer.delete", High, "Erase customers (right to be forgotten)";
    ReportView = Report.View, "report.view", Low, "Open dashboards and reports";
    ReportCreate = Report.Create, "report.create", Low, "Build and share reports";
    ReportExport = Report.Export, "report.export", Medium, "Download report data";
    SurveyView = Survey.View, "survey.view", Low, "See surveys and their questions";
    SurveyCreate = Survey.Create, "survey.create", Medium, "Create surveys";
    SurveyEdit = Survey.Edit, "survey.edit", Medium, "Change and send surveys";
    SurveyDelete = Survey.Delete, "survey.delete", Medium, "Delete surveys";
    UserView = User.View, "user.view", Low, "See people in the organisation and their attributes";
    UserCreate = User.Create, "user.create", Medium, "Add people to the organisation";
    UserEdit = User.Edit, "user.edit", Medium, "Change people's names and attributes";
    UserSuspend = User.Suspend, "user.suspend", High, "Suspend and reactivate people; ends their sessions at once";
    UserManage = User.Manage, "user.manage", High, "See people's sign-in factors and reset their MFA";
    RoleView = Role.View, "role.view", Low, "See roles, their permissions and who holds them";
    RoleManage = Role.Manage, "role.manage", High, "Create, change and delete roles";
    RoleAssign = Role.Assign, "role.assign", High, "Give roles to people, teams and groups, and take them away";
    TeamView = Team.View, "team.view", Low, "See teams and their members";
    TeamManage = Team.Manage, "team.manage", Medium, "Create teams and change their lead and members";
    GroupView = Group.View, "group.view", Low, "See groups, their members and nesting";
    GroupManage = Group.Manage, "group.manage", Medium, "Create groups and change their members and nesting";
    PolicyView = Policy.View, "policy.view", Low, "See attribute policies";
    PolicyManage = Policy.Manage, "policy.manage", High, "Write and change attribute policies";
    AuditEventView = AuditEvent.View, "audit_event.view", Medium, "Read the audit log";
    AuditEventExport = AuditEvent.Export, "audit_event.export", High, "Download the audit log";
    AuditEventManage = AuditEvent.Manage, "audit_event.manage", High, "Acknowledge alerts, set audit retention and stream the log to a SIEM";
    AccessReviewView = AccessReview.View, "access_review.view", Low, "See access review campaigns and their results";
    AccessReviewManage = AccessReview.Manage, "access_review.manage", Medium, "Run access reviews and decide keep or revoke";
    IntegrationView = Integration.View, "integration.view", Low, "See SSO connections, SCIM and service accounts";
    IntegrationManage = Integration.Manage, "integration.manage", High, "Configure SSO, SCIM and service account tokens";
    SettingsView = Settings.View, "settings.view", Low, "See organisation settings";
    SettingsManage = Settings.Manage, "settings.manage", High, "Change organisation settings such as MFA rules";
}

impl Permission {
    /// The stable code, `resource.action`.
    pub fn code(self) -> &'static str {
        self.entry().2
    }

    pub fn kind(self) -> ResourceKind {
        self.entry().0
    }

    pub fn action(self) -> Action {
        self.entry().1
    }

    pub fn description(self) -> &'static str {
        self.entry().4
    }

    pub fn sensitivity(self) -> Sensitivity {
        self.entry().3
    }

    /// The position in [`Permission::ALL`], for dense per-permission tables in memory. Never
    /// stored.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.code() == code)
    }

    /// The permission for `kind` and `action`, when the catalog has one.
    pub fn of(kind: ResourceKind, action: Action) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.kind() == kind && p.action() == action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for (i, p) in Permission::ALL.iter().copied().enumerate() {
            assert!(seen.insert(p.code()), "duplicate code {}", p.code());
            assert_eq!(Permission::parse(p.code()), Some(p));
            assert_eq!(p.index(), i);
            assert!(!p.description().is_empty());
        }
    }

    #[test]
    fn every_code_is_its_kind_and_action() {
        for p in Permission::ALL.iter().copied() {
            assert_eq!(
                p.code(),
                format!("{}.{}", p.kind().code(), p.action().code())
            );
            assert_eq!(Permission::of(p.kind(), p.action()), Some(p));
        }
    }

    #[test]
    fn every_resource_kind_has_a_view_permission() {
        for kind in ResourceKind::ALL {
            assert!(Permission::of(kind, Action::View).is_some(), "{kind:?}");
        }
    }
}
