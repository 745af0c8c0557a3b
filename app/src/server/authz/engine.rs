//! The decision engine proper: plain Rust over an in-memory [`AccessGraph`], no database and no
//! web framework, so it can be tested as a truth table and benchmarked in isolation.
//!
//! A graph holds what one principal's access depends on: their teams, the groups they belong to
//! (with every ancestor group), every role of the organisation, and the assignments that reach
//! them. [`Snapshot::build`] resolves it once into per-permission grant lists, each carrying the
//! path that explains it; [`Snapshot::decide`] and [`Snapshot::filter`] then answer single
//! checks and list filters with the same meaning.

use crate::domain::access::{AccessPathView, RecordAttributes, Scope};
use crate::domain::permission::{Permission, ResourceKind};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// A database id.
pub type Id = i64;

/// Who an assignment is given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    User(Id),
    Team(Id),
    Group(Id),
}

impl Subject {
    /// The stable code stored in `assignments.subject_kind`.
    pub fn kind_code(self) -> &'static str {
        match self {
            Subject::User(_) => "user",
            Subject::Team(_) => "team",
            Subject::Group(_) => "group",
        }
    }

    pub fn id(self) -> Id {
        match self {
            Subject::User(id) | Subject::Team(id) | Subject::Group(id) => id,
        }
    }

    pub fn parse(kind: &str, id: Id) -> Option<Self> {
        match kind {
            "user" => Some(Subject::User(id)),
            "team" => Some(Subject::Team(id)),
            "group" => Some(Subject::Group(id)),
            _ => None,
        }
    }
}

/// A group and the groups it is nested in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNode {
    pub name: String,
    pub parents: Vec<Id>,
}

/// A role: what it holds directly and which roles it includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleNode {
    pub name: String,
    pub permissions: Vec<Permission>,
    pub includes: Vec<Id>,
    /// Holders must use a second factor.
    pub requires_mfa: bool,
}

/// When an assignment is in force: from `starts_at` (inclusive) to `ends_at` (exclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

impl Window {
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        self.starts_at.is_none_or(|s| s <= now) && self.ends_at.is_none_or(|e| now < e)
    }

    /// "always", "until 2026-12-01 00:00 UTC", "from … until …".
    pub fn describe(&self) -> String {
        let at = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        match (self.starts_at, self.ends_at) {
            (None, None) => "always".to_owned(),
            (Some(s), None) => format!("from {}", at(s)),
            (None, Some(e)) => format!("until {}", at(e)),
            (Some(s), Some(e)) => format!("from {} until {}", at(s), at(e)),
        }
    }

    /// Whether this window (of a grant in force at `now`) lasts at least as long as `other`.
    pub fn covers(&self, other: &Window, now: DateTime<Utc>) -> bool {
        let other_start = other.starts_at.unwrap_or(now);
        let starts_in_time = self.starts_at.is_none_or(|s| s <= other_start);
        let ends_in_time = match (self.ends_at, other.ends_at) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(mine), Some(theirs)) => theirs <= mine,
        };
        starts_in_time && ends_in_time
    }

    /// "active", "scheduled" or "expired" at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.starts_at.is_some_and(|s| now < s) {
            "scheduled"
        } else if self.ends_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

/// A role given to a subject, optionally scoped and timed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRow {
    pub id: Id,
    pub role_id: Id,
    pub subject: Subject,
    pub scope: Scope,
    pub window: Window,
}

/// Everything one principal's access depends on.
#[derive(Debug, Clone, Default)]
pub struct AccessGraph {
    pub org_id: Id,
    pub user_id: Id,
    pub user_name: String,
    /// The teams the user is a member of.
    pub teams: Vec<(Id, String)>,
    /// The groups the user is a direct member of.
    pub direct_groups: Vec<Id>,
    /// At least every group reachable upwards from `direct_groups`.
    pub groups: HashMap<Id, GroupNode>,
    /// Every role of the organisation.
    pub roles: HashMap<Id, RoleNode>,
    /// At least every assignment whose subject is the user, one of their teams or one of their
    /// groups (directly or through nesting). Others are ignored.
    pub assignments: Vec<AssignmentRow>,
}

/// One step of an explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Team(Id, String),
    Group(Id, String),
}

/// One way the principal holds one permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantPath {
    pub assignment_id: Id,
    pub permission: Permission,
    pub scope: Scope,
    pub window: Window,
    /// From the user to the assignment's subject: empty when assigned to the user directly.
    pub through: Vec<Step>,
    /// The assigned role first, then each included role down to the one holding the permission.
    pub roles: Vec<(Id, String)>,
}

impl GrantPath {
    /// "Alice → team EMEA Tier 1 → role Support Agent (region = EMEA) → ticket.view"
    pub fn describe(&self, user_name: &str) -> String {
        let mut parts = vec![user_name.to_owned()];
        for step in &self.through {
            parts.push(match step {
                Step::Team(_, name) => format!("team {name}"),
                Step::Group(_, name) => format!("group {name}"),
            });
        }
        for (i, (_, name)) in self.roles.iter().enumerate() {
            if i == 0 {
                let scope = if self.scope.is_everywhere() {
                    String::new()
                } else {
                    format!(" ({})", self.scope)
                };
                let window = if self.window == Window::default() {
                    String::new()
                } else {
                    format!(" [{}]", self.window.describe())
                };
                parts.push(format!("role {name}{scope}{window}"));
            } else {
                parts.push(format!("includes {name}"));
            }
        }
        parts.push(self.permission.code().to_owned());
        parts.join(" → ")
    }

    /// "direct", or the teams and groups the assignment reaches the user through.
    pub fn through_text(&self) -> String {
        if self.through.is_empty() {
            return "direct".to_owned();
        }
        self.through
            .iter()
            .map(|s| match s {
                Step::Team(_, n) => format!("team {n}"),
                Step::Group(_, n) => format!("group {n}"),
            })
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

/// The thing a decision is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub org_id: Id,
    pub kind: ResourceKind,
    pub id: Option<Id>,
    pub attributes: RecordAttributes,
}

/// How and when the principal proved a second factor. Filled in by the MFA work; policies
/// will read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaContext {
    pub factor: String,
    pub at: DateTime<Utc>,
}

/// The circumstances of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub mfa: Option<MfaContext>,
    pub address: Option<String>,
}

impl Context {
    pub fn at(now: DateTime<Utc>) -> Self {
        Context {
            now,
            mfa: None,
            address: None,
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The resource belongs to another organisation than the principal's.
    OtherOrganisation,
    /// The permission is about another kind of resource.
    WrongKind,
    /// No assignment grants the permission at all.
    NoAssignment,
    /// Assignments grant it, but none is in force now.
    NotInForce(Vec<Window>),
    /// Assignments in force grant it, but only for these scopes.
    OutsideScope(Vec<Scope>),
}

/// The engine's answer, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(GrantPath),
    Deny(Denial),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The explanation in a sentence.
    pub fn reason(&self, permission: Permission, user_name: &str) -> String {
        let code = permission.code();
        match self {
            Decision::Allow(path) => path.describe(user_name),
            Decision::Deny(Denial::OtherOrganisation) => {
                "the resource belongs to another organisation".to_owned()
            }
            Decision::Deny(Denial::WrongKind) => {
                format!("{code} is not about this kind of resource")
            }
            Decision::Deny(Denial::NoAssignment) => format!("no assignment grants {code}"),
            Decision::Deny(Denial::NotInForce(windows)) => format!(
                "assignments granting {code} are not in force now ({})",
                windows
                    .iter()
                    .map(Window::describe)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Decision::Deny(Denial::OutsideScope(scopes)) => format!(
                "{code} is granted only for {}",
                scopes
                    .iter()
                    .map(Scope::to_string)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        }
    }
}

/// Which records of a list the principal may see: the same meaning as a single check on each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListFilter {
    All,
    /// Records inside any of these scopes (never empty, never containing "everywhere").
    AnyOf(Vec<Scope>),
    Nothing,
}

impl ListFilter {
    pub fn allows(&self, record: &RecordAttributes) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::AnyOf(scopes) => scopes.iter().any(|s| s.matches(record)),
            ListFilter::Nothing => false,
        }
    }
}

/// A principal's resolved access.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub org_id: Id,
    pub user_id: Id,
    pub user_name: String,
    by_permission: Vec<Vec<GrantPath>>,
    /// The windows of assignments that bring a role requiring a second factor.
    mfa_windows: Vec<Window>,
}

/// The permissions a role holds, each with the chain of roles that brings it (the role itself
/// first). Included roles are followed breadth first, so the chain is a shortest one; cycles
/// (which the services refuse to store) are cut.
pub fn role_closure(roles: &HashMap<Id, RoleNode>, role_id: Id) -> BTreeMap<Permission, Vec<Id>> {
    let mut out: BTreeMap<Permission, Vec<Id>> = BTreeMap::new();
    let mut seen = HashSet::from([role_id]);
    let mut queue = VecDeque::from([vec![role_id]]);
    while let Some(chain) = queue.pop_front() {
        let Some(role) = roles.get(chain.last().expect("chains are never empty")) else {
            continue;
        };
        for p in &role.permissions {
            out.entry(*p).or_insert_with(|| chain.clone());
        }
        for included in &role.includes {
            if seen.insert(*included) {
                let mut next = chain.clone();
                next.push(*included);
                queue.push_back(next);
            }
        }
    }
    out
}

/// Whether the role or any role it includes requires a second factor.
fn includes_mfa_role(roles: &HashMap<Id, RoleNode>, role_id: Id) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![role_id];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(role) = roles.get(&id) {
            if role.requires_mfa {
                return true;
            }
            stack.extend(role.includes.iter().copied());
        }
    }
    false
}

/// If adding the edge `parent → child` to a graph given by `children_of` would close a cycle,
/// the cycle, starting and ending at `parent`.
pub fn cycle_through(
    parent: Id,
    child: Id,
    children_of: impl Fn(Id) -> Vec<Id>,
) -> Option<Vec<Id>> {
    if parent == child {
        return Some(vec![parent, parent]);
    }
    let mut came_from: HashMap<Id, Id> = HashMap::new();
    let mut queue = VecDeque::from([child]);
    let mut seen = HashSet::from([child]);
    while let Some(node) = queue.pop_front() {
        for next in children_of(node) {
            if !seen.insert(next) {
                continue;
            }
            came_from.insert(next, node);
            if next == parent {
                let mut path = vec![parent];
                let mut at = parent;
                while let Some(prev) = came_from.get(&at) {
                    path.push(*prev);
                    at = *prev;
                }
                path.push(parent);
                path.reverse();
                // path: parent, child, ..., parent
                return Some(path);
            }
            queue.push_back(next);
        }
    }
    None
}

impl Snapshot {
    /// Resolves a graph: which subjects reach the user and how, then every permission of every
    /// assignment on them.
    pub fn build(graph: &AccessGraph) -> Snapshot {
        let mut reach: HashMap<Subject, Vec<Step>> = HashMap::new();
        reach.insert(Subject::User(graph.user_id), Vec::new());
        for (id, name) in &graph.teams {
            reach.insert(Subject::Team(*id), vec![Step::Team(*id, name.clone())]);
        }
        // Breadth first up the group tree, so each group keeps a shortest path.
        let mut queue: VecDeque<Id> = VecDeque::new();
        for id in &graph.direct_groups {
            if let Some(group) = graph.groups.get(id) {
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    reach.entry(Subject::Group(*id))
                {
                    slot.insert(vec![Step::Group(*id, group.name.clone())]);
                    queue.push_back(*id);
                }
            }
        }
        while let Some(id) = queue.pop_front() {
            let path = reach[&Subject::Group(id)].clone();
            for parent in &graph.groups[&id].parents {
                let Some(group) = graph.groups.get(parent) else {
                    continue;
                };
                if reach.contains_key(&Subject::Group(*parent)) {
                    continue;
                }
                let mut next = path.clone();
                next.push(Step::Group(*parent, group.name.clone()));
                reach.insert(Subject::Group(*parent), next);
                queue.push_back(*parent);
            }
        }

        let mut closures: HashMap<Id, BTreeMap<Permission, Vec<Id>>> = HashMap::new();
        let mut by_permission = vec![Vec::new(); Permission::ALL.len()];
        let mut mfa_windows = Vec::new();
        for assignment in &graph.assignments {
            let Some(through) = reach.get(&assignment.subject) else {
                continue;
            };
            if includes_mfa_role(&graph.roles, assignment.role_id) {
                mfa_windows.push(assignment.window);
            }
            let closure = closures
                .entry(assignment.role_id)
                .or_insert_with(|| role_closure(&graph.roles, assignment.role_id));
            for (permission, chain) in closure.iter() {
                by_permission[permission.index()].push(GrantPath {
                    assignment_id: assignment.id,
                    permission: *permission,
                    scope: assignment.scope.clone(),
                    window: assignment.window,
                    through: through.clone(),
                    roles: chain
                        .iter()
                        .map(|id| (*id, graph.roles[id].name.clone()))
                        .collect(),
                });
            }
        }
        // Direct and shorter paths first, so the explanation shown is the simplest one.
        for grants in &mut by_permission {
            grants.sort_by_key(|g| (g.through.len() + g.roles.len(), g.assignment_id));
        }
        Snapshot {
            org_id: graph.org_id,
            user_id: graph.user_id,
            user_name: graph.user_name.clone(),
            by_permission,
            mfa_windows,
        }
    }

    /// Whether an assignment in force at `now` brings a role that requires a second factor.
    pub fn requires_mfa(&self, now: DateTime<Utc>) -> bool {
        self.mfa_windows.iter().any(|w| w.contains(now))
    }

    /// A snapshot that holds nothing (deny everything).
    pub fn empty(org_id: Id, user_id: Id, user_name: String) -> Snapshot {
        Snapshot {
            org_id,
            user_id,
            user_name,
            by_permission: vec![Vec::new(); Permission::ALL.len()],
            mfa_windows: Vec::new(),
        }
    }

    fn grants(&self, permission: Permission) -> &[GrantPath] {
        &self.by_permission[permission.index()]
    }

    /// May the principal do `permission` on `resource`, given `context`? Deny by default.
    pub fn decide(
        &self,
        permission: Permission,
        resource: &Resource,
        context: &Context,
    ) -> Decision {
        if resource.org_id != self.org_id {
            return Decision::Deny(Denial::OtherOrganisation);
        }
        if resource.kind != permission.kind() {
            return Decision::Deny(Denial::WrongKind);
        }
        let grants = self.grants(permission);
        if let Some(grant) = grants
            .iter()
            .find(|g| g.window.contains(context.now) && g.scope.matches(&resource.attributes))
        {
            return Decision::Allow(grant.clone());
        }
        if grants.is_empty() {
            return Decision::Deny(Denial::NoAssignment);
        }
        let in_force: Vec<Scope> = grants
            .iter()
            .filter(|g| g.window.contains(context.now))
            .map(|g| g.scope.clone())
            .collect();
        if in_force.is_empty() {
            Decision::Deny(Denial::NotInForce(
                grants.iter().map(|g| g.window).collect(),
            ))
        } else {
            Decision::Deny(Denial::OutsideScope(dedup(in_force)))
        }
    }

    /// The records of a list the principal may see with `permission` at `now`.
    pub fn filter(&self, permission: Permission, now: DateTime<Utc>) -> ListFilter {
        let mut scopes = Vec::new();
        for grant in self.grants(permission) {
            if !grant.window.contains(now) {
                continue;
            }
            if grant.scope.is_everywhere() {
                return ListFilter::All;
            }
            scopes.push(grant.scope.clone());
        }
        if scopes.is_empty() {
            ListFilter::Nothing
        } else {
            ListFilter::AnyOf(dedup(scopes))
        }
    }

    /// Whether the principal holds `permission` anywhere at `now` (for pages and navigation).
    pub fn holds(&self, permission: Permission, now: DateTime<Utc>) -> bool {
        self.grants(permission)
            .iter()
            .any(|g| g.window.contains(now))
    }

    /// Whether the principal holds `permission` for every record inside `scope`, now and for the
    /// whole of `window`: what they need to give it to someone else. A grant that ends covers
    /// only windows that end no later; an unbounded window needs a grant without end.
    pub fn covers(
        &self,
        permission: Permission,
        scope: &Scope,
        window: &Window,
        now: DateTime<Utc>,
    ) -> bool {
        self.grants(permission).iter().any(|g| {
            g.window.contains(now) && g.scope.covers(scope) && g.window.covers(window, now)
        })
    }

    /// The permissions the principal holds anywhere at `now`.
    pub fn held(&self, now: DateTime<Utc>) -> Vec<Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(|p| self.holds(*p, now))
            .collect()
    }

    /// Every path to every permission in force at `now`, for the effective-access page.
    pub fn paths(&self, now: DateTime<Utc>) -> Vec<AccessPathView> {
        self.by_permission
            .iter()
            .flatten()
            .filter(|g| g.window.contains(now))
            .map(|g| AccessPathView {
                permission: g.permission.code().to_owned(),
                path: g.describe(&self.user_name),
                scope: g.scope.to_string(),
                window: g.window.describe(),
            })
            .collect()
    }
}

fn dedup(mut scopes: Vec<Scope>) -> Vec<Scope> {
    let mut seen = HashSet::new();
    scopes.retain(|s| seen.insert(s.clone()));
    scopes
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
