//! The engine's truth table: subject × action × resource × time → decision, plus list filters,
//! escalation checks and cycle detection.

use super::*;
use crate::domain::access::ScopeAttribute::{ProductLine, Region};
use chrono::TimeZone;
use Permission::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

fn hours(h: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::hours(h)
}

fn roles() -> HashMap<Id, RoleNode> {
    let role = |name: &str, permissions: &[Permission], includes: &[Id]| RoleNode {
        name: name.into(),
        permissions: permissions.to_vec(),
        includes: includes.to_vec(),
        requires_mfa: name == "Lead",
    };
    HashMap::from([
        (
            1,
            role(
                "Support Agent",
                &[TicketView, TicketEdit, CustomerView],
                &[],
            ),
        ),
        (
            2,
            role("Senior Agent", &[TicketAssign, CustomerViewPii], &[1]),
        ),
        (3, role("Lead", &[UserView], &[2])),
        (4, role("Auditor", &[AuditEventView], &[])),
        (5, role("Analyst", &[FeedbackView], &[])),
    ])
}

fn groups() -> HashMap<Id, GroupNode> {
    let group = |name: &str, parents: &[Id]| GroupNode {
        name: name.into(),
        parents: parents.to_vec(),
    };
    HashMap::from([
        (10, group("EMEA Tier 1 staff", &[11])),
        (11, group("All EMEA", &[12])),
        (12, group("All staff", &[])),
        (13, group("Unrelated", &[])),
    ])
}

fn assignment(
    id: Id,
    role_id: Id,
    subject: Subject,
    scope: Scope,
    window: Window,
) -> AssignmentRow {
    AssignmentRow {
        id,
        role_id,
        subject,
        scope,
        window,
    }
}

/// Every assignment in organisation 1; each graph keeps all of them (the engine must ignore
/// those that do not reach the user).
fn assignments() -> Vec<AssignmentRow> {
    let emea = Scope::only(Region, &["EMEA"]);
    let emea_payments = Scope::parse([
        (Region, "EMEA".to_owned()),
        (ProductLine, "Payments".to_owned()),
    ])
    .unwrap();
    vec![
        assignment(1, 1, Subject::Team(20), emea.clone(), Window::default()),
        assignment(
            2,
            4,
            Subject::Group(12),
            Scope::everywhere(),
            Window::default(),
        ),
        assignment(
            3,
            5,
            Subject::Group(11),
            Scope::only(ProductLine, &["Payments", "Lending"]),
            Window::default(),
        ),
        assignment(
            4,
            3,
            Subject::User(102),
            Scope::everywhere(),
            Window {
                starts_at: None,
                ends_at: Some(hours(1)),
            },
        ),
        assignment(
            5,
            1,
            Subject::User(103),
            Scope::everywhere(),
            Window {
                starts_at: Some(hours(2)),
                ends_at: None,
            },
        ),
        assignment(6, 1, Subject::User(105), emea_payments, Window::default()),
        assignment(
            7,
            1,
            Subject::User(105),
            Scope::only(Region, &["NA"]),
            Window::default(),
        ),
        assignment(
            8,
            4,
            Subject::Group(13),
            Scope::everywhere(),
            Window::default(),
        ),
        assignment(
            9,
            2,
            Subject::User(999),
            Scope::everywhere(),
            Window::default(),
        ),
    ]
}

fn graph(user_id: Id, name: &str, teams: &[(Id, &str)], direct_groups: &[Id]) -> AccessGraph {
    AccessGraph {
        org_id: 1,
        user_id,
        user_name: name.into(),
        teams: teams.iter().map(|(id, n)| (*id, (*n).to_owned())).collect(),
        direct_groups: direct_groups.to_vec(),
        groups: groups(),
        roles: roles(),
        assignments: assignments(),
    }
}

fn snapshot(user: &str) -> Snapshot {
    let g = match user {
        "alice" => graph(100, "Alice", &[(20, "EMEA Tier 1")], &[]),
        "bob" => graph(101, "Bob", &[], &[10]),
        "carol" => graph(102, "Carol", &[], &[]),
        "dave" => graph(103, "Dave", &[], &[]),
        "erin" => graph(104, "Erin", &[], &[]),
        "frank" => graph(105, "Frank", &[], &[]),
        "outsider" => AccessGraph {
            org_id: 2,
            ..graph(200, "Olga", &[], &[])
        },
        other => panic!("no user {other}"),
    };
    Snapshot::build(&g)
}

fn record(kind: ResourceKind, region: &str, product_line: &str) -> Resource {
    Resource {
        org_id: 1,
        kind,
        id: Some(7),
        attributes: RecordAttributes {
            region: Some(region.into()),
            product_line: Some(product_line.into()),
            ..Default::default()
        },
    }
}

use ResourceKind::{AuditEvent, Customer, Feedback, Ticket, User};

/// (who, permission, resource kind, region, product line, hours after t0, allowed, the
/// explanation contains)
type Case = (
    &'static str,
    Permission,
    ResourceKind,
    &'static str,
    &'static str,
    i64,
    bool,
    &'static str,
);

const CASES: &[Case] = &[
    // Alice: team EMEA Tier 1 holds Support Agent scoped to region = EMEA.
    ("alice", TicketView, Ticket, "EMEA", "Payments", 0, true, "Alice → team EMEA Tier 1 → role Support Agent (region = EMEA) → ticket.view"),
    ("alice", TicketView, Ticket, "EMEA", "Mobile", 0, true, "region = EMEA"),
    ("alice", TicketView, Ticket, "NA", "Payments", 0, false, "ticket.view is granted only for region = EMEA"),
    ("alice", TicketEdit, Ticket, "EMEA", "Lending", 0, true, "ticket.edit"),
    ("alice", TicketEdit, Ticket, "APAC", "Lending", 0, false, "only for region = EMEA"),
    ("alice", CustomerView, Customer, "EMEA", "Payments", 0, true, "customer.view"),
    ("alice", CustomerViewPii, Customer, "EMEA", "Payments", 0, false, "no assignment grants customer.view_pii"),
    ("alice", TicketAssign, Ticket, "EMEA", "Payments", 0, false, "no assignment grants ticket.assign"),
    ("alice", TicketDelete, Ticket, "EMEA", "Payments", 0, false, "no assignment grants"),
    ("alice", AuditEventView, AuditEvent, "EMEA", "Payments", 0, false, "no assignment grants audit_event.view"),
    ("alice", TicketView, Customer, "EMEA", "Payments", 0, false, "not about this kind"),
    // Bob: group EMEA Tier 1 staff → All EMEA → All staff (three levels of nesting).
    ("bob", AuditEventView, AuditEvent, "NA", "Mobile", 0, true, "Bob → group EMEA Tier 1 staff → group All EMEA → group All staff → role Auditor → audit_event.view"),
    ("bob", FeedbackView, Feedback, "APAC", "Payments", 0, true, "group All EMEA → role Analyst (product_line in {Lending, Payments})"),
    ("bob", FeedbackView, Feedback, "APAC", "Lending", 0, true, "Analyst"),
    ("bob", FeedbackView, Feedback, "APAC", "Mobile", 0, false, "only for product_line in {Lending, Payments}"),
    ("bob", TicketView, Ticket, "EMEA", "Payments", 0, false, "no assignment grants ticket.view"),
    ("bob", UserView, User, "EMEA", "Payments", 0, false, "no assignment"),
    // Carol: the composite Lead (includes Senior Agent, which includes Support Agent), ending in 1h.
    ("carol", UserView, User, "LATAM", "Mobile", 0, true, "Carol → role Lead [until 2026-11-25 13:00 UTC] → user.view"),
    ("carol", TicketAssign, Ticket, "NA", "Mobile", 0, true, "role Lead [until 2026-11-25 13:00 UTC] → includes Senior Agent → ticket.assign"),
    ("carol", TicketView, Ticket, "APAC", "Insights", 0, true, "includes Senior Agent → includes Support Agent → ticket.view"),
    ("carol", CustomerViewPii, Customer, "EMEA", "Payments", 0, true, "customer.view_pii"),
    ("carol", TicketView, Ticket, "APAC", "Insights", 1, false, "not in force now (until 2026-11-25 13:00 UTC)"),
    ("carol", UserView, User, "LATAM", "Mobile", 5, false, "not in force"),
    ("carol", FeedbackView, Feedback, "EMEA", "Payments", 0, false, "no assignment grants feedback.view"),
    ("carol", AuditEventView, AuditEvent, "EMEA", "Payments", 0, false, "no assignment"),
    // Dave: Support Agent starting in two hours.
    ("dave", TicketView, Ticket, "EMEA", "Payments", 0, false, "not in force now (from 2026-11-25 14:00 UTC)"),
    ("dave", TicketView, Ticket, "EMEA", "Payments", 1, false, "not in force"),
    ("dave", TicketView, Ticket, "EMEA", "Payments", 2, true, "Dave → role Support Agent [from 2026-11-25 14:00 UTC] → ticket.view"),
    ("dave", TicketEdit, Ticket, "NA", "Payments", 30, true, "ticket.edit"),
    // Erin holds nothing: deny by default everywhere.
    ("erin", TicketView, Ticket, "EMEA", "Payments", 0, false, "no assignment grants ticket.view"),
    ("erin", UserView, User, "EMEA", "Payments", 0, false, "no assignment grants user.view"),
    ("erin", AuditEventView, AuditEvent, "EMEA", "Payments", 0, false, "no assignment"),
    ("erin", CustomerViewPii, Customer, "EMEA", "Payments", 0, false, "no assignment"),
    // Frank: Support Agent for (EMEA and Payments) or NA.
    ("frank", TicketView, Ticket, "EMEA", "Payments", 0, true, "region = EMEA"),
    ("frank", TicketView, Ticket, "EMEA", "Mobile", 0, false, "only for region = EMEA, product_line = Payments or region = NA"),
    ("frank", TicketView, Ticket, "NA", "Mobile", 0, true, "region = NA"),
    ("frank", TicketView, Ticket, "LATAM", "Payments", 0, false, "only for"),
    ("frank", CustomerView, Customer, "NA", "Lending", 0, true, "customer.view"),
    // Another organisation's principal never reaches organisation 1's records.
    ("outsider", TicketView, Ticket, "EMEA", "Payments", 0, false, "another organisation"),
    ("outsider", AuditEventView, AuditEvent, "EMEA", "Payments", 0, false, "another organisation"),
];

#[test]
fn the_truth_table_holds() {
    assert!(CASES.len() >= 40, "only {} cases", CASES.len());
    let mut failures = Vec::new();
    for (who, permission, kind, region, product_line, at, allowed, explains) in CASES {
        let snap = snapshot(who);
        let decision = snap.decide(
            *permission,
            &record(*kind, region, product_line),
            &Context::at(hours(*at)),
        );
        let reason = decision.reason(*permission, &snap.user_name);
        if decision.is_allowed() != *allowed || !reason.contains(explains) {
            failures.push(format!(
                "{who} {} on {kind:?} {region}/{product_line} at +{at}h: got {} ({reason}), expected {} ({explains})",
                permission.code(),
                decision.is_allowed(),
                allowed
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_outsider_would_hold_the_permission_in_their_own_organisation() {
    let mut g = graph(200, "Olga", &[], &[]);
    g.org_id = 2;
    g.assignments = vec![assignment(
        1,
        1,
        Subject::User(200),
        Scope::everywhere(),
        Window::default(),
    )];
    let snap = Snapshot::build(&g);
    let mut own = record(Ticket, "EMEA", "Payments");
    own.org_id = 2;
    assert!(snap
        .decide(TicketView, &own, &Context::at(t0()))
        .is_allowed());
    own.org_id = 1;
    assert!(!snap
        .decide(TicketView, &own, &Context::at(t0()))
        .is_allowed());
}

#[test]
fn list_filters_mean_what_single_checks_mean() {
    assert_eq!(
        snapshot("erin").filter(TicketView, t0()),
        ListFilter::Nothing
    );
    assert_eq!(snapshot("carol").filter(TicketView, t0()), ListFilter::All);
    assert_eq!(
        snapshot("carol").filter(TicketView, hours(1)),
        ListFilter::Nothing
    );
    assert_eq!(
        snapshot("alice").filter(TicketView, t0()),
        ListFilter::AnyOf(vec![Scope::only(Region, &["EMEA"])])
    );
    let frank = snapshot("frank");
    let filter = frank.filter(TicketView, t0());
    for region in ["EMEA", "NA", "APAC", "LATAM"] {
        for product_line in ["Payments", "Lending", "Insights", "Mobile"] {
            let r = record(Ticket, region, product_line);
            assert_eq!(
                filter.allows(&r.attributes),
                frank
                    .decide(TicketView, &r, &Context::at(t0()))
                    .is_allowed(),
                "{region}/{product_line}"
            );
        }
    }
}

#[test]
fn nobody_can_cover_more_than_they_hold() {
    let always = Window::default();
    let alice = snapshot("alice");
    let emea = Scope::only(Region, &["EMEA"]);
    assert!(alice.covers(TicketView, &emea, &always, t0()));
    assert!(
        !alice.covers(TicketView, &Scope::everywhere(), &always, t0()),
        "EMEA does not cover everywhere"
    );
    assert!(!alice.covers(
        TicketView,
        &Scope::only(Region, &["EMEA", "NA"]),
        &always,
        t0()
    ));
    assert!(
        !alice.covers(TicketAssign, &emea, &always, t0()),
        "not held at all"
    );
    let frank = snapshot("frank");
    let narrow = Scope::parse([
        (Region, "EMEA".to_owned()),
        (ProductLine, "Payments".to_owned()),
    ])
    .unwrap();
    assert!(frank.covers(TicketView, &narrow, &always, t0()));
    assert!(
        !frank.covers(TicketView, &emea, &always, t0()),
        "EMEA/Payments does not cover all of EMEA"
    );
    // Carol's access ends in an hour: she can give it for that hour, not for ever.
    let carol = snapshot("carol");
    let within = Window {
        starts_at: None,
        ends_at: Some(hours(1)),
    };
    let beyond = Window {
        starts_at: None,
        ends_at: Some(hours(2)),
    };
    let everywhere = Scope::everywhere();
    assert!(carol.covers(CustomerViewPii, &everywhere, &within, t0()));
    assert!(
        !carol.covers(CustomerViewPii, &everywhere, &always, t0()),
        "temporary access cannot become permanent"
    );
    assert!(!carol.covers(CustomerViewPii, &everywhere, &beyond, t0()));
    assert!(
        !carol.covers(CustomerViewPii, &everywhere, &within, hours(1)),
        "expired grants cover nothing"
    );
    assert!(
        !snapshot("dave").covers(TicketView, &emea, &always, t0()),
        "scheduled grants cover nothing yet"
    );
}

#[test]
fn effective_access_lists_each_path() {
    let bob = snapshot("bob");
    let paths = bob.paths(t0());
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths
        .iter()
        .any(|p| p.permission == "audit_event.view" && p.path.contains("group All staff")));
    assert_eq!(bob.held(t0()), vec![FeedbackView, AuditEventView]);
}

#[test]
fn composite_roles_close_over_their_includes() {
    let closure = role_closure(&roles(), 3);
    assert_eq!(closure.len(), 6);
    assert_eq!(closure[&TicketView], vec![3, 2, 1]);
    assert_eq!(closure[&UserView], vec![3]);
}

#[test]
fn a_stored_cycle_does_not_loop_forever() {
    let mut roles = roles();
    roles.get_mut(&1).unwrap().includes.push(3);
    let closure = role_closure(&roles, 1);
    assert!(closure.contains_key(&UserView));
    let mut groups = groups();
    groups.get_mut(&12).unwrap().parents.push(10);
    let mut g = graph(101, "Bob", &[], &[10]);
    g.groups = groups;
    assert!(Snapshot::build(&g).holds(AuditEventView, t0()));
}

#[test]
fn cycles_are_found_and_named() {
    let roles = roles();
    let children = |id: Id| {
        roles
            .get(&id)
            .map(|r| r.includes.clone())
            .unwrap_or_default()
    };
    // Support Agent including Lead would close Lead → Senior → Support → Lead.
    assert_eq!(cycle_through(1, 3, children), Some(vec![1, 3, 2, 1]));
    assert_eq!(cycle_through(3, 4, children), None);
    assert_eq!(cycle_through(5, 5, children), Some(vec![5, 5]));
}

#[test]
fn a_role_requiring_mfa_is_required_through_its_includers_while_in_force() {
    // Carol holds Lead (requires MFA) until t0 + 1h; Alice holds Support Agent only.
    assert!(snapshot("carol").requires_mfa(t0()));
    assert!(
        !snapshot("carol").requires_mfa(hours(2)),
        "not after the assignment ended"
    );
    assert!(!snapshot("alice").requires_mfa(t0()));
}

#[test]
fn windows_are_half_open() {
    let w = Window {
        starts_at: Some(t0()),
        ends_at: Some(hours(1)),
    };
    assert!(w.contains(t0()));
    assert!(!w.contains(hours(1)));
    assert_eq!(w.state(hours(-1)), "scheduled");
    assert_eq!(w.state(t0()), "active");
    assert_eq!(w.state(hours(1)), "expired");
}
