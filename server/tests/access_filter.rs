//! Property test: for random organisations (roles that include roles, nested groups, teams,
//! scoped and timed assignments) and random tickets, the database filter of the tickets list
//! returns exactly the tickets that single checks allow, for every user.

mod helpers;

use app::domain::access::{RecordAttributes, Scope, ScopeAttribute, CHANNELS};
use app::domain::people::{PRODUCT_LINES, REGIONS};
use app::domain::permission::{Permission, ResourceKind};
use app::server::authz::engine::{Context, Resource, Snapshot};
use app::server::authz::load::load_graph;
use app::server::entities::{
    assignment, customer, group_child, group_member, organisation, role, role_include,
    role_permission, team, team_member, ticket, user, user_group,
};
use app::server::services::workspace::ticket_condition;
use helpers::{spawn_app, Backend, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::BTreeSet;

const USERS: usize = 3;
const ROLES: usize = 3;
const GROUPS: usize = 4;
const TEAMS: usize = 2;

#[derive(Debug, Clone)]
struct World {
    /// Per role: holds ticket.view directly; includes (lower-numbered roles only, so no cycle).
    roles: Vec<(bool, Vec<usize>)>,
    /// Per group: parent groups (lower-numbered only).
    group_parents: Vec<Vec<usize>>,
    /// (user, team) memberships and (user, group) memberships.
    team_members: Vec<(usize, usize)>,
    group_members: Vec<(usize, usize)>,
    /// (role, subject kind 0 user / 1 team / 2 group, subject index, scope, window kind)
    assignments: Vec<(usize, u8, usize, Scope, u8)>,
    /// (region, product line, channel) of each ticket.
    tickets: Vec<(usize, usize, usize)>,
}

fn subset(values: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    proptest::sample::subsequence(values.to_vec(), 0..=2)
}

fn scope() -> impl Strategy<Value = Scope> {
    (subset(&REGIONS), subset(&PRODUCT_LINES), subset(&CHANNELS)).prop_map(|(r, p, c)| {
        let pairs = r
            .into_iter()
            .map(|v| (ScopeAttribute::Region, v.to_owned()))
            .chain(
                p.into_iter()
                    .map(|v| (ScopeAttribute::ProductLine, v.to_owned())),
            )
            .chain(
                c.into_iter()
                    .map(|v| (ScopeAttribute::Channel, v.to_owned())),
            );
        Scope::parse(pairs).unwrap()
    })
}

fn lower(n: usize) -> impl Strategy<Value = Vec<usize>> {
    if n == 0 {
        Just(Vec::new()).boxed()
    } else {
        proptest::collection::vec(0..n, 0..=2).boxed()
    }
}

fn world() -> impl Strategy<Value = World> {
    (
        (any::<bool>(), lower(0)).prop_flat_map(|first| {
            (
                Just(first),
                (any::<bool>(), lower(1)),
                (any::<bool>(), lower(2)),
            )
        }),
        (lower(0), lower(1), lower(2), lower(3)),
        proptest::collection::vec((0..USERS, 0..TEAMS), 0..4),
        proptest::collection::vec((0..USERS, 0..GROUPS), 0..5),
        proptest::collection::vec((0..ROLES, 0u8..3, 0usize..4, scope(), 0u8..4), 1..6),
        proptest::collection::vec((0..4usize, 0..4usize, 0..4usize), 1..30),
    )
        .prop_map(
            |(roles, groups, team_members, group_members, assignments, tickets)| World {
                roles: vec![roles.0, roles.1, roles.2],
                group_parents: vec![groups.0, groups.1, groups.2, groups.3],
                team_members,
                group_members,
                assignments,
                tickets,
            },
        )
}

/// Stores the world as a new organisation; returns (org id, user ids).
async fn store(app: &TestApp, world: &World, n: u64) -> (i64, Vec<i64>) {
    let db = &app.state.db;
    let now = app.state.now();
    let org = organisation::ActiveModel {
        slug: Set(format!("prop-{n}")),
        name: Set(format!("Prop {n}")),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let mut users = Vec::new();
    for i in 0..USERS {
        let row = user::ActiveModel {
            org_id: Set(org.id),
            email: Set(format!("u{i}@prop.test")),
            display_name: Set(format!("User {i}")),
            name_key: Set(format!("user {i}")),
            status: Set("active".into()),
            product_lines: Set(String::new()),
            employment: Set("employee".into()),
            is_admin: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        users.push(row.id);
    }
    let mut roles = Vec::new();
    for (i, (holds, includes)) in world.roles.iter().enumerate() {
        let row = role::ActiveModel {
            org_id: Set(org.id),
            name: Set(format!("Role {i}")),
            name_key: Set(format!("role {i}")),
            description: Set(String::new()),
            template: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        if *holds {
            role_permission::ActiveModel {
                org_id: Set(org.id),
                role_id: Set(row.id),
                permission: Set("ticket.view".into()),
            }
            .insert(db)
            .await
            .unwrap();
        }
        for included in includes.iter().collect::<BTreeSet<_>>() {
            role_include::ActiveModel {
                org_id: Set(org.id),
                role_id: Set(row.id),
                included_id: Set(roles[*included]),
            }
            .insert(db)
            .await
            .unwrap();
        }
        roles.push(row.id);
    }
    let mut groups = Vec::new();
    for (i, parents) in world.group_parents.iter().enumerate() {
        let row = user_group::ActiveModel {
            org_id: Set(org.id),
            name: Set(format!("Group {i}")),
            name_key: Set(format!("group {i}")),
            description: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        for parent in parents.iter().collect::<BTreeSet<_>>() {
            group_child::ActiveModel {
                org_id: Set(org.id),
                parent_id: Set(groups[*parent]),
                child_id: Set(row.id),
            }
            .insert(db)
            .await
            .unwrap();
        }
        groups.push(row.id);
    }
    let mut teams = Vec::new();
    for i in 0..TEAMS {
        let row = team::ActiveModel {
            org_id: Set(org.id),
            name: Set(format!("Team {i}")),
            name_key: Set(format!("team {i}")),
            description: Set(String::new()),
            lead_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
        teams.push(row.id);
    }
    for (u, t) in world.team_members.iter().collect::<BTreeSet<_>>() {
        team_member::ActiveModel {
            org_id: Set(org.id),
            team_id: Set(teams[*t]),
            user_id: Set(users[*u]),
        }
        .insert(db)
        .await
        .unwrap();
    }
    for (u, g) in world.group_members.iter().collect::<BTreeSet<_>>() {
        group_member::ActiveModel {
            org_id: Set(org.id),
            group_id: Set(groups[*g]),
            user_id: Set(users[*u]),
        }
        .insert(db)
        .await
        .unwrap();
    }
    for (r, kind, subject, scope, window) in &world.assignments {
        let (kind, id) = match kind {
            0 => ("user", users[subject % USERS]),
            1 => ("team", teams[subject % TEAMS]),
            _ => ("group", groups[subject % GROUPS]),
        };
        let hour = chrono::Duration::hours(1);
        let (starts_at, ends_at) = match window {
            0 => (None, None),
            1 => (None, Some(now - hour)),
            2 => (Some(now + hour), None),
            _ => (Some(now - hour), Some(now + hour)),
        };
        assignment::ActiveModel {
            org_id: Set(org.id),
            role_id: Set(roles[*r]),
            subject_kind: Set(kind.into()),
            subject_id: Set(id),
            scope: Set(serde_json::to_string(scope).unwrap()),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    let customer = customer::ActiveModel {
        org_id: Set(org.id),
        name: Set("C".into()),
        email: Set("c@prop.test".into()),
        phone: Set(String::new()),
        region: Set("EMEA".into()),
        product_line: Set("Payments".into()),
        segment: Set("SMB".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    let rows: Vec<ticket::ActiveModel> = world
        .tickets
        .iter()
        .map(|(r, p, c)| ticket::ActiveModel {
            org_id: Set(org.id),
            customer_id: Set(customer.id),
            subject: Set("T".into()),
            status: Set("open".into()),
            priority: Set("normal".into()),
            region: Set(REGIONS[*r].into()),
            product_line: Set(PRODUCT_LINES[*p].into()),
            segment: Set("SMB".into()),
            channel: Set(CHANNELS[*c].into()),
            assignee_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    ticket::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .unwrap();
    (org.id, users)
}

/// The property for one world: for every user, filter in SQL = single decisions in memory.
async fn check(app: &TestApp, world: &World, n: u64) -> Result<(), String> {
    let (org_id, users) = store(app, world, n).await;
    let db = &app.state.db;
    let now = app.state.now();
    let all: Vec<ticket::Model> = ticket::Entity::find()
        .filter(ticket::Column::OrgId.eq(org_id))
        .all(db)
        .await
        .unwrap();
    for user_id in users {
        let graph = load_graph(db, org_id, user_id, "someone").await.unwrap();
        let snapshot = Snapshot::build(&graph);
        let filter = snapshot.filter(Permission::TicketView, now);
        let listed: BTreeSet<i64> = ticket::Entity::find()
            .select_only()
            .column(ticket::Column::Id)
            .filter(ticket::Column::OrgId.eq(org_id))
            .filter(ticket_condition(&filter))
            .into_tuple::<i64>()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .collect();
        let allowed: BTreeSet<i64> = all
            .iter()
            .filter(|t| {
                let resource = Resource {
                    org_id,
                    kind: ResourceKind::Ticket,
                    id: Some(t.id),
                    attributes: RecordAttributes {
                        region: Some(t.region.clone()),
                        product_line: Some(t.product_line.clone()),
                        segment: Some(t.segment.clone()),
                        channel: Some(t.channel.clone()),
                    },
                };
                snapshot
                    .decide(Permission::TicketView, &resource, &Context::at(now))
                    .is_allowed()
            })
            .map(|t| t.id)
            .collect();
        if listed != allowed {
            return Err(format!("user {user_id}: filter {filter:?} listed {listed:?}, single checks allow {allowed:?}"));
        }
    }
    Ok(())
}

fn run(backend: Backend, cases: u32) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let Some(app) = runtime.block_on(spawn_app(backend)) else {
        return;
    };
    let counter = std::sync::atomic::AtomicU64::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let result = runner.run(&world(), |world| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        runtime
            .block_on(check(&app, &world, n))
            .map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}

#[test]
fn the_tickets_filter_returns_exactly_what_single_checks_allow_on_sqlite() {
    run(Backend::Sqlite, 48);
}

#[test]
fn the_tickets_filter_returns_exactly_what_single_checks_allow_on_postgres() {
    run(Backend::Postgres, 24);
}
