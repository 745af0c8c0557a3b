//! In-process decisions of the engine for a user holding 5 roles through a team and 3 levels
//! of nested groups (`cargo bench -p app --features ssr --bench engine`).

use app::domain::access::{RecordAttributes, RoleTemplate, Scope, ScopeAttribute};
use app::domain::permission::{Permission, ResourceKind};
use app::server::authz::engine::{
    AccessGraph, AssignmentRow, Context, GroupNode, Resource, RoleNode, Snapshot, Subject, Window,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::collections::HashMap;

fn graph() -> AccessGraph {
    let mut roles = HashMap::new();
    // The built-in chain Regional Manager → Team Manager → Senior Agent → Support Agent, plus
    // the Analyst and Compliance Auditor templates: composite roles of realistic size.
    let ids: HashMap<RoleTemplate, i64> = RoleTemplate::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, i as i64 + 1))
        .collect();
    for t in RoleTemplate::ALL {
        roles.insert(
            ids[&t],
            RoleNode {
                name: t.name().to_owned(),
                permissions: t.permissions().to_vec(),
                includes: t.includes().iter().map(|i| ids[i]).collect(),
                requires_mfa: t.requires_mfa(),
            },
        );
    }
    let groups = HashMap::from([
        (
            10,
            GroupNode {
                name: "EMEA Tier 1 staff".into(),
                parents: vec![11],
            },
        ),
        (
            11,
            GroupNode {
                name: "All EMEA".into(),
                parents: vec![12],
            },
        ),
        (
            12,
            GroupNode {
                name: "All staff".into(),
                parents: vec![],
            },
        ),
    ]);
    let emea = Scope::only(ScopeAttribute::Region, &["EMEA"]);
    let assignment = |id, template, subject, scope: &Scope| AssignmentRow {
        id,
        role_id: ids[&template],
        subject,
        scope: scope.clone(),
        window: Window::default(),
    };
    AccessGraph {
        org_id: 1,
        user_id: 100,
        user_name: "Alice".into(),
        teams: vec![(20, "EMEA Tier 1".into())],
        direct_groups: vec![10],
        groups,
        roles,
        assignments: vec![
            assignment(1, RoleTemplate::SupportAgent, Subject::Team(20), &emea),
            assignment(
                2,
                RoleTemplate::SeniorAgent,
                Subject::Group(10),
                &Scope::only(ScopeAttribute::ProductLine, &["Payments"]),
            ),
            assignment(3, RoleTemplate::Analyst, Subject::Group(11), &emea),
            assignment(
                4,
                RoleTemplate::ComplianceAuditor,
                Subject::Group(12),
                &Scope::everywhere(),
            ),
            assignment(
                5,
                RoleTemplate::RegionalManager,
                Subject::User(100),
                &Scope::only(ScopeAttribute::Region, &["APAC"]),
            ),
        ],
    }
}

fn ticket(region: &str, product_line: &str) -> Resource {
    Resource {
        org_id: 1,
        kind: ResourceKind::Ticket,
        id: Some(7),
        attributes: RecordAttributes {
            region: Some(region.into()),
            product_line: Some(product_line.into()),
            segment: Some("SMB".into()),
            channel: Some("email".into()),
        },
    }
}

fn decisions(c: &mut Criterion) {
    let graph = graph();
    let snapshot = Snapshot::build(&graph);
    let context = Context::at(chrono::Utc::now());
    let allowed = ticket("EMEA", "Mobile");
    let denied = ticket("NA", "Mobile");
    assert!(snapshot
        .decide(Permission::TicketView, &allowed, &context)
        .is_allowed());
    assert!(!snapshot
        .decide(Permission::TicketView, &denied, &context)
        .is_allowed());
    c.bench_function("decide: allowed (ticket.view, EMEA)", |b| {
        b.iter(|| {
            snapshot.decide(
                black_box(Permission::TicketView),
                black_box(&allowed),
                &context,
            )
        })
    });
    c.bench_function("decide: denied with explanation (ticket.view, NA)", |b| {
        b.iter(|| {
            snapshot.decide(
                black_box(Permission::TicketView),
                black_box(&denied),
                &context,
            )
        })
    });
    c.bench_function("list filter (ticket.view)", |b| {
        b.iter(|| snapshot.filter(black_box(Permission::TicketView), context.now))
    });
    c.bench_function("resolve the snapshot from the graph", |b| {
        b.iter(|| Snapshot::build(black_box(&graph)))
    });
}

criterion_group!(benches, decisions);
criterion_main!(benches);
