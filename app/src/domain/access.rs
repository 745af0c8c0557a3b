//! Access model vocabulary shared by the engine and the console: record attributes, assignment
//! scopes, the built-in role templates, and the wire shapes of the access pages.

use super::people::{PRODUCT_LINES, REGIONS};
use super::permission::Permission;
use super::values::{DisplayName, Email};
use super::FieldErrors;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Customer segments of the demo CX platform.
pub const SEGMENTS: [&str; 3] = ["enterprise", "mid-market", "SMB"];

/// Channels a ticket or a response came in through.
pub const CHANNELS: [&str; 4] = ["email", "chat", "phone", "survey"];

/// A record attribute an assignment can be scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeAttribute {
    Region,
    ProductLine,
    #[serde(rename = "customer_segment")]
    Segment,
    Channel,
}

impl ScopeAttribute {
    pub const ALL: [ScopeAttribute; 4] = [
        ScopeAttribute::Region,
        ScopeAttribute::ProductLine,
        ScopeAttribute::Segment,
        ScopeAttribute::Channel,
    ];

    /// The stable code, as stored in an assignment's scope.
    pub fn code(self) -> &'static str {
        match self {
            ScopeAttribute::Region => "region",
            ScopeAttribute::ProductLine => "product_line",
            ScopeAttribute::Segment => "customer_segment",
            ScopeAttribute::Channel => "channel",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ScopeAttribute::Region => "Region",
            ScopeAttribute::ProductLine => "Product line",
            ScopeAttribute::Segment => "Customer segment",
            ScopeAttribute::Channel => "Channel",
        }
    }

    /// The values a scope on this attribute may name.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            ScopeAttribute::Region => &REGIONS,
            ScopeAttribute::ProductLine => &PRODUCT_LINES,
            ScopeAttribute::Segment => &SEGMENTS,
            ScopeAttribute::Channel => &CHANNELS,
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// The attributes of one record (a ticket, a response, a customer, a person). An attribute the
/// record does not carry is `None`, and a scope on it never matches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordAttributes {
    pub region: Option<String>,
    pub product_line: Option<String>,
    pub segment: Option<String>,
    pub channel: Option<String>,
}

impl RecordAttributes {
    pub fn get(&self, attribute: ScopeAttribute) -> Option<&str> {
        match attribute {
            ScopeAttribute::Region => self.region.as_deref(),
            ScopeAttribute::ProductLine => self.product_line.as_deref(),
            ScopeAttribute::Segment => self.segment.as_deref(),
            ScopeAttribute::Channel => self.channel.as_deref(),
        }
    }
}

/// Where an assignment applies: for every constrained attribute, the record's value must be one
/// of the listed values. No constraint at all means everywhere in the organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope {
    constraints: BTreeMap<ScopeAttribute, BTreeSet<String>>,
}

impl Scope {
    /// The whole organisation.
    pub fn everywhere() -> Self {
        Self::default()
    }

    /// Builds a scope from attribute/value pairs, refusing unknown values and empty sets.
    pub fn parse(
        pairs: impl IntoIterator<Item = (ScopeAttribute, String)>,
    ) -> Result<Self, String> {
        let mut scope = Scope::default();
        for (attribute, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let known = attribute
                .values()
                .iter()
                .find(|v| v.eq_ignore_ascii_case(value))
                .ok_or_else(|| {
                    format!(
                        "{} must be one of {}.",
                        attribute.label(),
                        attribute.values().join(", ")
                    )
                })?;
            scope
                .constraints
                .entry(attribute)
                .or_default()
                .insert((*known).to_owned());
        }
        Ok(scope)
    }

    /// A scope with one constraint, for tests and templates.
    pub fn only(attribute: ScopeAttribute, values: &[&str]) -> Self {
        let mut scope = Scope::default();
        scope
            .constraints
            .insert(attribute, values.iter().map(|v| (*v).to_owned()).collect());
        scope
    }

    pub fn is_everywhere(&self) -> bool {
        self.constraints.is_empty()
    }

    pub fn constraints(&self) -> impl Iterator<Item = (ScopeAttribute, &BTreeSet<String>)> {
        self.constraints.iter().map(|(a, v)| (*a, v))
    }

    pub fn values(&self, attribute: ScopeAttribute) -> Option<&BTreeSet<String>> {
        self.constraints.get(&attribute)
    }

    /// Whether a record with these attributes lies inside the scope.
    pub fn matches(&self, record: &RecordAttributes) -> bool {
        self.constraints.iter().all(|(attribute, values)| {
            record
                .get(*attribute)
                .is_some_and(|value| values.contains(value))
        })
    }

    /// Whether every record inside `other` is also inside `self`: the test that keeps a
    /// delegated administrator from granting more than they hold.
    pub fn covers(&self, other: &Scope) -> bool {
        self.constraints.iter().all(|(attribute, values)| {
            other
                .constraints
                .get(attribute)
                .is_some_and(|theirs| theirs.is_subset(values))
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.constraints.is_empty() {
            return f.write_str("everywhere");
        }
        let parts: Vec<String> = self
            .constraints
            .iter()
            .map(|(attribute, values)| {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                if values.len() == 1 {
                    format!("{} = {}", attribute.code(), values[0])
                } else {
                    format!("{} in {{{}}}", attribute.code(), values.join(", "))
                }
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// The built-in role templates seeded into every organisation. Their permissions are defined
/// here, so a template always means the same thing; admins copy a template to change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RoleTemplate {
    SupportAgent,
    SeniorAgent,
    Analyst,
    TeamManager,
    RegionalManager,
    ComplianceAuditor,
    Administrator,
}

impl RoleTemplate {
    pub const ALL: [RoleTemplate; 7] = [
        RoleTemplate::SupportAgent,
        RoleTemplate::SeniorAgent,
        RoleTemplate::Analyst,
        RoleTemplate::TeamManager,
        RoleTemplate::RegionalManager,
        RoleTemplate::ComplianceAuditor,
        RoleTemplate::Administrator,
    ];

    /// The stable key, stored on the role row.
    pub fn key(self) -> &'static str {
        match self {
            RoleTemplate::SupportAgent => "support-agent",
            RoleTemplate::SeniorAgent => "senior-agent",
            RoleTemplate::Analyst => "analyst",
            RoleTemplate::TeamManager => "team-manager",
            RoleTemplate::RegionalManager => "regional-manager",
            RoleTemplate::ComplianceAuditor => "compliance-auditor",
            RoleTemplate::Administrator => "administrator",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }

    pub fn name(self) -> &'static str {
        match self {
            RoleTemplate::SupportAgent => "Support Agent",
            RoleTemplate::SeniorAgent => "Senior Agent",
            RoleTemplate::Analyst => "Analyst",
            RoleTemplate::TeamManager => "Team Manager",
            RoleTemplate::RegionalManager => "Regional Manager",
            RoleTemplate::ComplianceAuditor => "Compliance Auditor",
            RoleTemplate::Administrator => "Administrator",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            RoleTemplate::SupportAgent => "Works tickets and sees the customers behind them.",
            RoleTemplate::SeniorAgent => {
                "A support agent who also assigns tickets and sees customers' personal data."
            }
            RoleTemplate::Analyst => "Reads feedback and tickets and builds reports.",
            RoleTemplate::TeamManager => {
                "Leads a team: everything a senior agent does, plus people and reports."
            }
            RoleTemplate::RegionalManager => {
                "Runs a region: team management, feedback and exports. Usually scoped to a region."
            }
            RoleTemplate::ComplianceAuditor => {
                "Reads the audit log, roles and reviews; changes nothing else."
            }
            RoleTemplate::Administrator => "Every permission in the catalog, now and later.",
        }
    }

    /// Whether holders must use a second factor.
    pub fn requires_mfa(self) -> bool {
        matches!(self, RoleTemplate::Administrator)
    }

    /// Templates this one includes.
    pub fn includes(self) -> &'static [RoleTemplate] {
        match self {
            RoleTemplate::SeniorAgent => &[RoleTemplate::SupportAgent],
            RoleTemplate::TeamManager => &[RoleTemplate::SeniorAgent],
            RoleTemplate::RegionalManager => &[RoleTemplate::TeamManager],
            _ => &[],
        }
    }

    /// The permissions this template holds directly (not through what it includes).
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            RoleTemplate::SupportAgent => &[
                TicketView,
                TicketCreate,
                TicketEdit,
                CustomerView,
                FeedbackView,
            ],
            RoleTemplate::SeniorAgent => &[TicketAssign, CustomerViewPii, CustomerEdit],
            RoleTemplate::Analyst => &[
                TicketView,
                FeedbackView,
                FeedbackExport,
                CustomerView,
                ReportView,
                ReportCreate,
                ReportExport,
                SurveyView,
            ],
            RoleTemplate::TeamManager => &[UserView, TeamView, ReportView, AccessReviewView],
            RoleTemplate::RegionalManager => &[
                TicketExport,
                FeedbackExport,
                ReportCreate,
                ReportExport,
                UserEdit,
                RoleView,
                GroupView,
            ],
            RoleTemplate::ComplianceAuditor => &[
                AuditEventView,
                AuditEventExport,
                AuditEventManage,
                UserView,
                RoleView,
                TeamView,
                GroupView,
                PolicyView,
                AccessReviewView,
                AccessReviewManage,
                IntegrationView,
                SettingsView,
            ],
            RoleTemplate::Administrator => Permission::ALL,
        }
    }
}

/// A role as the roles list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSummary {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The template key for built-in roles, which cannot be changed.
    pub template: Option<String>,
    /// Permissions held directly and through included roles.
    pub permission_count: usize,
    pub assignment_count: u64,
}

/// Someone who holds a role, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    /// "direct", "team EMEA Tier 1", "group All EMEA → group All staff"
    pub through: String,
    pub scope: String,
    pub window: String,
    pub assignment_id: i64,
}

/// An assignment as the access pages list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentView {
    pub id: i64,
    pub role_id: i64,
    pub role_name: String,
    pub subject_kind: String,
    pub subject_id: i64,
    pub subject_name: String,
    pub scope: String,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// "active", "scheduled" or "expired".
    pub state: String,
}

/// One role in full, for its detail page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDetail {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub template: Option<String>,
    /// Permission codes held directly.
    pub permissions: Vec<String>,
    /// Permission codes held through included roles, with the role that brings each.
    pub inherited: Vec<(String, String)>,
    pub includes: Vec<(i64, String)>,
    pub owners: Vec<(i64, String)>,
    pub assignments: Vec<AssignmentView>,
    pub holders: Vec<Holder>,
    /// Whether the viewer may change this role (holds `role.manage`, not a template).
    pub editable: bool,
    /// Holders must use a second factor.
    pub requires_mfa: bool,
    pub can_assign: bool,
}

/// The values of the role form, as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Permission codes, one per checked box.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Ids of included roles, one per checked box.
    #[serde(default)]
    pub includes: Vec<String>,
    /// Owners' emails, comma or newline separated.
    #[serde(default)]
    pub owners: String,
    /// "on" when holders must use a second factor.
    #[serde(default)]
    pub requires_mfa: String,
}

/// The values of the assignment form, as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentForm {
    #[serde(default)]
    pub role_id: String,
    /// "user", "team" or "group".
    #[serde(default)]
    pub subject_kind: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub product_lines: Vec<String>,
    #[serde(default)]
    pub segments: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    /// `YYYY-MM-DDTHH:MM` (UTC), from a datetime-local input; empty for "now".
    #[serde(default)]
    pub starts_at: String,
    /// As `starts_at`; empty for "no end".
    #[serde(default)]
    pub ends_at: String,
}

impl AssignmentForm {
    /// The scope the form describes.
    pub fn scope(&self) -> Result<Scope, String> {
        let pairs = [
            (ScopeAttribute::Region, &self.regions),
            (ScopeAttribute::ProductLine, &self.product_lines),
            (ScopeAttribute::Segment, &self.segments),
            (ScopeAttribute::Channel, &self.channels),
        ];
        Scope::parse(
            pairs
                .into_iter()
                .flat_map(|(a, values)| values.iter().map(move |v| (a, v.clone()))),
        )
    }
}

/// One way a person holds a permission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPathView {
    pub permission: String,
    /// "Alice → team EMEA Tier 1 → role Support Agent (region = EMEA) → ticket.view"
    pub path: String,
    pub scope: String,
    pub window: String,
}

/// A person's effective access, for their page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveAccess {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub paths: Vec<AccessPathView>,
    /// Roles given to the person directly.
    pub direct: Vec<AssignmentView>,
}

/// A team or a group as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitSummary {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub member_count: u64,
    pub lead: Option<String>,
    /// Group nesting: the parents' ids (empty for teams and top-level groups).
    pub parents: Vec<i64>,
}

/// A member of a team or a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub region: Option<String>,
}

/// A team or group in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDetail {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub description: String,
    /// The team lead: id, name and email.
    pub lead: Option<(i64, String, String)>,
    pub members: Vec<MemberView>,
    pub parents: Vec<(i64, String)>,
    pub children: Vec<(i64, String)>,
    pub assignments: Vec<AssignmentView>,
    pub can_manage: bool,
    pub can_assign: bool,
}

/// A permission with who holds it, for the permission's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionHolders {
    pub code: String,
    /// Roles that hold the permission, directly or through an included role.
    pub roles: Vec<(i64, String)>,
    pub holders: Vec<Holder>,
}

/// A role, team or group name: what [`DisplayName`] accepts.
pub type UnitName = DisplayName;

/// A description: at most 500 characters, no control characters except line breaks.
pub fn parse_description(input: &str) -> Result<String, String> {
    let value = input.trim();
    if value.chars().count() > 500 {
        return Err("A description has at most 500 characters.".into());
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err("A description cannot contain control characters.".into());
    }
    Ok(value.to_owned())
}

/// A pasted list of emails: separated by commas, semicolons, spaces or line breaks. Every
/// entry that is not an email is named in the error.
pub fn parse_email_list(input: &str) -> Result<Vec<Email>, String> {
    let mut emails = Vec::new();
    let mut bad = Vec::new();
    for entry in input
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|e| !e.is_empty())
    {
        match Email::parse(entry) {
            Ok(email) if !emails.contains(&email) => emails.push(email),
            Ok(_) => {}
            Err(_) => bad.push(entry.chars().take(80).collect::<String>()),
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "These are not email addresses: {}.",
            bad.join(", ")
        ));
    }
    if emails.len() > 500 {
        return Err("Add at most 500 people at a time.".into());
    }
    Ok(emails)
}

/// A role form that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInput {
    pub name: UnitName,
    pub description: String,
    pub permissions: Vec<Permission>,
    pub includes: Vec<i64>,
    pub owners: Vec<Email>,
    pub requires_mfa: bool,
}

impl RoleForm {
    pub fn parse(&self) -> Result<RoleInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = DisplayName::parse(&self.name).map_err(|e| errors.insert("name".into(), e));
        let description = parse_description(&self.description)
            .map_err(|e| errors.insert("description".into(), e));
        let mut permissions = Vec::new();
        for code in &self.permissions {
            match Permission::parse(code) {
                Some(p) if !permissions.contains(&p) => permissions.push(p),
                Some(_) => {}
                None => {
                    errors.insert("permissions".into(), "Unknown permission.".into());
                }
            }
        }
        permissions.sort();
        let mut includes = Vec::new();
        for id in &self.includes {
            match id.trim().parse::<i64>() {
                Ok(id) if !includes.contains(&id) => includes.push(id),
                Ok(_) => {}
                Err(_) => {
                    errors.insert("includes".into(), "Unknown role.".into());
                }
            }
        }
        let owners = parse_email_list(&self.owners).map_err(|e| errors.insert("owners".into(), e));
        match (name, description, owners) {
            (Ok(name), Ok(description), Ok(owners)) if errors.is_empty() => Ok(RoleInput {
                name,
                description,
                permissions,
                includes,
                owners,
                requires_mfa: !self.requires_mfa.is_empty(),
            }),
            _ => Err(errors),
        }
    }
}

/// The values of the team and group forms, as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The team lead's email (teams only).
    #[serde(default)]
    pub lead: String,
}

/// A team or group form that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInput {
    pub name: UnitName,
    pub description: String,
    pub lead: Option<Email>,
}

impl UnitForm {
    pub fn parse(&self) -> Result<UnitInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = DisplayName::parse(&self.name).map_err(|e| errors.insert("name".into(), e));
        let description = parse_description(&self.description)
            .map_err(|e| errors.insert("description".into(), e));
        let lead = match self.lead.trim() {
            "" => Ok(None),
            text => Email::parse(text)
                .map(Some)
                .map_err(|e| errors.insert("lead".into(), e)),
        };
        match (name, description, lead) {
            (Ok(name), Ok(description), Ok(lead)) => Ok(UnitInput {
                name,
                description,
                lead,
            }),
            _ => Err(errors),
        }
    }
}

/// An assignment form that parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentInput {
    pub role_id: i64,
    /// "user", "team" or "group".
    pub subject_kind: String,
    /// An email for a user; an id or a name for a team or a group.
    pub subject: String,
    pub scope: Scope,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// Reads a `datetime-local` value (`YYYY-MM-DDTHH:MM`, seconds optional) as UTC.
pub fn parse_instant(input: &str) -> Result<Option<DateTime<Utc>>, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|naive| Some(naive.and_utc()))
        .ok_or_else(|| "Enter a date and time as YYYY-MM-DD HH:MM (UTC).".to_owned())
}

impl AssignmentForm {
    /// Parses the form. `now` is only used to refuse an end in the past.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<AssignmentInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let role_id = self.role_id.trim().parse::<i64>().map_err(|_| {
            errors.insert("role_id".into(), "Choose a role.".into());
        });
        if !matches!(self.subject_kind.as_str(), "user" | "team" | "group") {
            errors.insert(
                "subject_kind".into(),
                "Choose a person, a team or a group.".into(),
            );
        }
        let subject = self.subject.trim().to_owned();
        if subject.is_empty() {
            errors.insert("subject".into(), "Say who gets the role.".into());
        } else if subject.chars().count() > 254 || subject.chars().any(char::is_control) {
            errors.insert(
                "subject".into(),
                "This is not a person, team or group.".into(),
            );
        }
        let scope = self.scope().map_err(|e| {
            errors.insert("scope".into(), e);
        });
        let starts_at =
            parse_instant(&self.starts_at).map_err(|e| errors.insert("starts_at".into(), e));
        let ends_at = parse_instant(&self.ends_at).map_err(|e| errors.insert("ends_at".into(), e));
        if let (Ok(start), Ok(Some(end))) = (&starts_at, &ends_at) {
            if start.is_some_and(|s| s >= *end) {
                errors.insert(
                    "ends_at".into(),
                    "The end must come after the start.".into(),
                );
            } else if *end <= now {
                errors.insert("ends_at".into(), "The end is already in the past.".into());
            }
        }
        match (role_id, scope, starts_at, ends_at) {
            (Ok(role_id), Ok(scope), Ok(starts_at), Ok(ends_at)) if errors.is_empty() => {
                Ok(AssignmentInput {
                    role_id,
                    subject_kind: self.subject_kind.clone(),
                    subject,
                    scope,
                    starts_at,
                    ends_at,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(region: &str, product_line: &str) -> RecordAttributes {
        RecordAttributes {
            region: Some(region.into()),
            product_line: Some(product_line.into()),
            ..Default::default()
        }
    }

    #[test]
    fn an_empty_scope_matches_everything() {
        assert!(Scope::everywhere().matches(&RecordAttributes::default()));
        assert_eq!(Scope::everywhere().to_string(), "everywhere");
    }

    #[test]
    fn scopes_parse_known_values_case_insensitively_and_refuse_others() {
        let scope = Scope::parse([(ScopeAttribute::Region, "emea".to_owned())]).unwrap();
        assert_eq!(scope.to_string(), "region = EMEA");
        let error = Scope::parse([(ScopeAttribute::Region, "Mars".to_owned())]).unwrap_err();
        assert!(error.contains("EMEA"), "{error}");
    }

    #[test]
    fn a_scope_on_an_attribute_the_record_lacks_never_matches() {
        let scope = Scope::only(ScopeAttribute::Channel, &["chat"]);
        assert!(!scope.matches(&record("EMEA", "Payments")));
    }

    #[test]
    fn pasted_email_lists_name_every_bad_entry() {
        let emails = parse_email_list("a@x.test, b@x.test\nc@x.test;a@x.test").unwrap();
        assert_eq!(emails.len(), 3);
        let error = parse_email_list("a@x.test, nope, also-bad").unwrap_err();
        assert!(
            error.contains("nope") && error.contains("also-bad"),
            "{error}"
        );
    }

    #[test]
    fn assignment_forms_refuse_an_end_before_the_start_and_keep_the_scope() {
        let now = parse_instant("2026-11-25T12:00").unwrap().unwrap();
        let mut form = AssignmentForm {
            role_id: "3".into(),
            subject_kind: "team".into(),
            subject: "EMEA Tier 1".into(),
            regions: vec!["EMEA".into()],
            starts_at: "2026-12-01T00:00".into(),
            ends_at: "2026-11-30T00:00".into(),
            ..Default::default()
        };
        assert!(form.parse(now).unwrap_err().contains_key("ends_at"));
        form.ends_at = "2026-12-31T00:00".into();
        let input = form.parse(now).unwrap();
        assert_eq!(input.scope.to_string(), "region = EMEA");
        form.ends_at = "2026-11-01T00:00".into();
        form.starts_at.clear();
        assert!(form.parse(now).unwrap_err().contains_key("ends_at"));
    }

    #[test]
    fn templates_never_include_themselves() {
        for t in RoleTemplate::ALL {
            assert!(!t.includes().contains(&t));
            assert_eq!(RoleTemplate::parse(t.key()), Some(t));
        }
    }

    fn arb_scope() -> impl Strategy<Value = Scope> {
        proptest::collection::vec((0usize..2, 0usize..4), 0..4).prop_map(|pairs| {
            Scope::parse(pairs.into_iter().map(|(a, v)| {
                let attribute = [ScopeAttribute::Region, ScopeAttribute::ProductLine][a];
                (attribute, attribute.values()[v].to_owned())
            }))
            .unwrap()
        })
    }

    proptest! {
        /// `covers` means exactly "every record in the other scope is in this one".
        #[test]
        fn covers_agrees_with_matching_every_record(a in arb_scope(), b in arb_scope()) {
            // Records without a value are part of the universe: a scope listing every region
            // still does not cover a record that has none.
            let regions = REGIONS.iter().map(|r| Some(r.to_string())).chain([None]);
            let records: Vec<RecordAttributes> = regions.flat_map(|region| {
                PRODUCT_LINES.iter().map(|p| Some(p.to_string())).chain([None]).map(move |product_line| {
                    RecordAttributes { region: region.clone(), product_line, ..Default::default() }
                })
            }).collect();
            let by_records = records.iter().all(|r| !b.matches(r) || a.matches(r));
            prop_assert_eq!(a.covers(&b), by_records);
        }
    }
}
