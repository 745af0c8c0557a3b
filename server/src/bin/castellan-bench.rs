//! Benchmarks of the console's queries at scale (not a test). Seeds a large organisation and
//! reports median and p95 server time of each query, on SQLite and, when given, PostgreSQL.
//!
//! `castellan-bench people --users 1000000 [--postgres postgres://…/db]`
//! `castellan-bench access --users 1000000 --tickets 1000000 [--postgres postgres://…/db]`
//! `castellan-bench audit --events 10000000 [--postgres postgres://…/db]`

use app::domain::people::{PeopleQuery, PeopleSort};
use app::server::authz::{authorize_principal, UserView};
use app::server::ctx::ClientInfo;
use app::server::entities::user;
use app::server::services::people;
use app::server::{AppState, AuthSettings, SystemClock};
use clap::{Parser, Subcommand};
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use server::config::{Config, Secret};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// The People list: first page, a page deep in the list, and an email-prefix search.
    People {
        #[arg(long, default_value_t = 1_000_000)]
        users: u64,
        /// Also run on this PostgreSQL database (it gets a fresh schema's worth of tables).
        #[arg(long)]
        postgres: Option<String>,
        /// Samples per query.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// Effective access of one user, and a region-scoped tickets list, at scale.
    Access {
        #[arg(long, default_value_t = 1_000_000)]
        users: u64,
        #[arg(long, default_value_t = 1_000_000)]
        tickets: u64,
        /// Also run on this PostgreSQL database.
        #[arg(long)]
        postgres: Option<String>,
        /// Samples per query.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// The audit log: filtered pages (actor, action, time range) and chain verification.
    Audit {
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Also run on this PostgreSQL database.
        #[arg(long)]
        postgres: Option<String>,
        /// Samples per query.
        #[arg(long, default_value_t = 200)]
        samples: usize,
        /// Measure only PostgreSQL (when a change touches only its read path).
        #[arg(long, requires = "postgres")]
        postgres_only: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Bench::People {
            users,
            postgres,
            samples,
        } => people_bench(users, postgres, samples).await,
        Bench::Access {
            users,
            tickets,
            postgres,
            samples,
        } => access_bench(users, tickets, postgres, samples).await,
        Bench::Audit {
            events,
            postgres,
            samples,
            postgres_only,
        } => audit_bench(events, postgres, samples, postgres_only).await,
    }
}

/// The databases to measure: a SQLite file named after the run, and PostgreSQL when given.
fn targets(tag: &str, postgres: Option<String>) -> Vec<(&'static str, String)> {
    let sqlite = std::env::temp_dir().join(format!("castellan-bench-{tag}.db"));
    let mut targets = vec![("SQLite", format!("sqlite://{}?mode=rwc", sqlite.display()))];
    if let Some(url) = postgres {
        targets.push(("PostgreSQL", url));
    }
    targets
}

async fn open(url: String) -> anyhow::Result<AppState> {
    let config = Config {
        database_url: Secret::new(url),
        ..Config::default()
    };
    let db = server::startup::connect(&config).await?;
    server::startup::migrate(&db).await?;
    let state = AppState::new(db, Arc::new(SystemClock), AuthSettings::default());
    app::server::services::access::bootstrap(&state).await?;
    Ok(state)
}

/// Effective access of one person, and the first page of a region-scoped tickets list, in an
/// organisation of `users` people and `tickets` tickets.
async fn access_bench(
    users: u64,
    tickets: u64,
    postgres: Option<String>,
    samples: usize,
) -> anyhow::Result<()> {
    use app::domain::workspace::RecordQuery;
    use app::server::authz::TicketView;
    use app::server::services::{access, workspace};
    println!(
        "machine: {} cores; {users} users; {tickets} tickets; {samples} samples per query",
        std::thread::available_parallelism()?.get()
    );
    for (name, url) in targets(&format!("{users}-{tickets}"), postgres) {
        let state = open(url).await?;
        let admin = bench_admin(&state).await?;
        seed(&state, admin.org_id, users).await?;
        seed_tickets(&state, admin.org_id, tickets).await?;
        let agent = seed_agent(&state, admin.org_id).await?;
        refresh_statistics(&state).await?;
        let (state, agent) = (&state, &agent);
        let viewer = authorize_principal::<UserView>(state, &admin, &ClientInfo::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let viewer = &viewer;
        let paths = access::effective_access(state, viewer, agent.user_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .paths
            .len();
        let effective = measure(samples, move || async move {
            access::effective_access(state, viewer, agent.user_id)
                .await
                .map(|_| ())
        })
        .await?;
        // A whole request's work: load and resolve the agent's access, then the page and total.
        let first = measure(samples, || async {
            let grant =
                authorize_principal::<TicketView>(state, agent, &ClientInfo::default()).await?;
            workspace::tickets(state, &grant, &RecordQuery::default())
                .await
                .map(|_| ())
        })
        .await?;
        let grant = authorize_principal::<TicketView>(state, agent, &ClientInfo::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let page = workspace::tickets(state, &grant, &RecordQuery::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let shown = (page.rows.len(), page.total);
        println!("{name:<10} agent holds {paths} permission paths through 5 roles and 3 nested groups; list shows {} of {} (region = EMEA)", shown.0, shown.1);
        for (label, stats) in [
            ("effective access of one user", effective),
            ("tickets, EMEA scope, page 1", first),
        ] {
            println!(
                "{name:<10} {label:<30} median {:>7.2} ms   p95 {:>7.2} ms",
                stats.0, stats.1
            );
        }
    }
    Ok(())
}

/// Brings planner statistics (and PostgreSQL's visibility map) up to date after a bulk load, as
/// autovacuum would in a running deployment.
async fn refresh_statistics(state: &AppState) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait;
    let statement = match state.db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    state.db.execute_unprepared(statement).await?;
    Ok(())
}

/// Inserts tickets until the organisation has `target`, spread over the four regions.
async fn seed_tickets(state: &AppState, org_id: i64, target: u64) -> anyhow::Result<()> {
    use app::server::entities::{customer, ticket};
    let have = ticket::Entity::find()
        .filter(ticket::Column::OrgId.eq(org_id))
        .count(&state.db)
        .await?;
    if have >= target {
        return Ok(());
    }
    let started = Instant::now();
    let now = state.now();
    let customer = customer::ActiveModel {
        org_id: Set(org_id),
        name: Set("Bench customer".into()),
        email: Set("customer@bench.example".into()),
        phone: Set(String::new()),
        region: Set("EMEA".into()),
        product_line: Set("Payments".into()),
        segment: Set("SMB".into()),
        created_at: Set(now),
        ..Default::default()
    };
    let customer_id = customer::Entity::insert(customer)
        .exec(&state.db)
        .await?
        .last_insert_id;
    let regions = ["EMEA", "NA", "APAC", "LATAM"];
    let lines = ["Payments", "Lending", "Insights", "Mobile"];
    let mut n = have;
    while n < target {
        let txn = state.db.begin().await?;
        for _ in 0..50 {
            let end = (n + 1000).min(target);
            if n >= end {
                break;
            }
            let rows = (n..end).map(|i| ticket::ActiveModel {
                org_id: Set(org_id),
                customer_id: Set(customer_id),
                subject: Set(format!("Bench ticket {i}")),
                status: Set(["open", "pending", "solved", "closed"][(i % 4) as usize].into()),
                priority: Set("normal".into()),
                region: Set(regions[((i / 3) % 4) as usize].into()),
                product_line: Set(lines[(i % 4) as usize].into()),
                segment: Set("SMB".into()),
                channel: Set("email".into()),
                assignee_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            });
            ticket::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
            n = end;
        }
        txn.commit().await?;
    }
    println!(
        "seeded {} tickets in {:.1} s",
        target - have,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// An EMEA agent holding 5 roles: Support Agent through a team (region = EMEA), and one role
/// on each of three nested groups plus one given directly. Idempotent.
async fn seed_agent(state: &AppState, org_id: i64) -> anyhow::Result<app::server::Principal> {
    use app::server::entities::{
        assignment, group_child, group_member, role, role_permission, team, team_member, user_group,
    };
    let email = "u4@bench.example";
    let agent = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.eq(email))
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("seed at least 5 users"))?;
    let exists = team::Entity::find()
        .filter(team::Column::OrgId.eq(org_id))
        .filter(team::Column::NameKey.eq("bench emea tier 1"))
        .one(&state.db)
        .await?
        .is_some();
    if !exists {
        let now = state.now();
        let txn = state.db.begin().await?;
        let support = role::Entity::find()
            .filter(role::Column::OrgId.eq(org_id))
            .filter(role::Column::Template.eq("support-agent"))
            .one(&txn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no Support Agent role"))?
            .id;
        let mut roles = vec![support];
        for (i, permission) in [
            "feedback.view",
            "report.view",
            "survey.view",
            "customer.view_pii",
        ]
        .into_iter()
        .enumerate()
        {
            let id = role::Entity::insert(role::ActiveModel {
                org_id: Set(org_id),
                name: Set(format!("Bench role {i}")),
                name_key: Set(format!("bench role {i}")),
                description: Set(String::new()),
                template: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?
            .last_insert_id;
            role_permission::Entity::insert(role_permission::ActiveModel {
                org_id: Set(org_id),
                role_id: Set(id),
                permission: Set(permission.into()),
            })
            .exec_without_returning(&txn)
            .await?;
            roles.push(id);
        }
        let team_id = team::Entity::insert(team::ActiveModel {
            org_id: Set(org_id),
            name: Set("Bench EMEA Tier 1".into()),
            name_key: Set("bench emea tier 1".into()),
            description: Set(String::new()),
            lead_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        team_member::Entity::insert(team_member::ActiveModel {
            org_id: Set(org_id),
            team_id: Set(team_id),
            user_id: Set(agent.id),
        })
        .exec_without_returning(&txn)
        .await?;
        let mut groups = Vec::new();
        for level in 1..=3 {
            let id = user_group::Entity::insert(user_group::ActiveModel {
                org_id: Set(org_id),
                name: Set(format!("Bench level {level}")),
                name_key: Set(format!("bench level {level}")),
                description: Set(String::new()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?
            .last_insert_id;
            if let Some(child) = groups.last() {
                group_child::Entity::insert(group_child::ActiveModel {
                    org_id: Set(org_id),
                    parent_id: Set(id),
                    child_id: Set(*child),
                })
                .exec_without_returning(&txn)
                .await?;
            }
            groups.push(id);
        }
        group_member::Entity::insert(group_member::ActiveModel {
            org_id: Set(org_id),
            group_id: Set(groups[0]),
            user_id: Set(agent.id),
        })
        .exec_without_returning(&txn)
        .await?;
        let subjects = [
            ("team", team_id, r#"{"region":["EMEA"]}"#),
            ("group", groups[0], "{}"),
            (
                "group",
                groups[1],
                r#"{"product_line":["Payments","Lending"]}"#,
            ),
            ("group", groups[2], "{}"),
            ("user", agent.id, r#"{"region":["EMEA"]}"#),
        ];
        for (role_id, (kind, subject, scope)) in roles.iter().zip(subjects) {
            assignment::Entity::insert(assignment::ActiveModel {
                org_id: Set(org_id),
                role_id: Set(*role_id),
                subject_kind: Set(kind.into()),
                subject_id: Set(subject),
                scope: Set(scope.into()),
                starts_at: Set(None),
                ends_at: Set(None),
                created_by: Set(None),
                created_at: Set(now),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await?;
    }
    app::server::services::auth::load_principal(state, org_id, agent.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("bench agent inactive"))
}

async fn people_bench(users: u64, postgres: Option<String>, samples: usize) -> anyhow::Result<()> {
    println!(
        "machine: {} cores; {users} users; {samples} samples per query",
        std::thread::available_parallelism()?.get()
    );
    for (name, url) in targets(&users.to_string(), postgres) {
        let state = open(url).await?;
        let principal = bench_admin(&state).await?;
        seed(&state, principal.org_id, users).await?;
        let grant = authorize_principal::<UserView>(&state, &principal, &ClientInfo::default())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;

        let middle = user::Entity::find()
            .filter(user::Column::OrgId.eq(principal.org_id))
            .order_by_asc(user::Column::NameKey)
            .order_by_asc(user::Column::Id)
            .offset(users / 2)
            .limit(1)
            .one(&state.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no middle row"))?;
        let deep_cursor = people::encode_cursor(&middle.name_key, middle.id);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);

        let (state, grant) = (&state, &grant);
        let first = measure(samples, move || async move {
            people::list(state, grant, &PeopleQuery::default())
                .await
                .map(|_| ())
        })
        .await?;
        let deep = measure(samples, || {
            let query = PeopleQuery {
                cursor: Some(deep_cursor.clone()),
                ..Default::default()
            };
            async move { people::list(state, grant, &query).await.map(|_| ()) }
        })
        .await?;
        let prefixes: Vec<String> = (0..samples)
            .map(|_| format!("u{}", rng.gen_range(1..users.max(2))))
            .collect();
        let mut next = prefixes.iter().cycle();
        let search = measure(samples, || {
            let query = PeopleQuery {
                search: next.next().cloned().unwrap_or_default(),
                sort: PeopleSort::Email,
                ..Default::default()
            };
            async move { people::list(state, grant, &query).await.map(|_| ()) }
        })
        .await?;
        for (label, stats) in [
            ("first page", first),
            ("page at the middle (cursor)", deep),
            ("email prefix search", search),
        ] {
            println!(
                "{name:<10} {label:<28} median {:>7.2} ms   p95 {:>7.2} ms",
                stats.0, stats.1
            );
        }
    }
    Ok(())
}

async fn bench_admin(state: &AppState) -> anyhow::Result<app::server::Principal> {
    use app::domain::values::{DisplayName, Email, NewPassword, OrgSlug};
    use app::server::services::{auth, setup};
    if let Some(org) = app::server::entities::organisation::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .find(|o| o.slug == "bench")
    {
        let admin = user::Entity::find()
            .filter(user::Column::OrgId.eq(org.id))
            .filter(user::Column::Email.eq("admin@bench.example"))
            .one(&state.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("bench admin missing"))?;
        return auth::load_principal(state, org.id, admin.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("bench admin inactive"));
    }
    let admin = setup::NewAdmin {
        org_name: DisplayName::parse("Bench").map_err(anyhow::Error::msg)?,
        org_slug: OrgSlug::parse("bench").map_err(anyhow::Error::msg)?,
        email: Email::parse("admin@bench.example").map_err(anyhow::Error::msg)?,
        display_name: DisplayName::parse("Bench Admin").map_err(anyhow::Error::msg)?,
        password: NewPassword::parse("bench password 1234").map_err(anyhow::Error::msg)?,
    };
    setup::create_administrator(state, &admin, "castellan-bench", &ClientInfo::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Inserts users until the organisation has `target` of them, in large multi-row inserts.
async fn seed(state: &AppState, org_id: i64, target: u64) -> anyhow::Result<()> {
    let have = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .count(&state.db)
        .await?;
    if have >= target {
        return Ok(());
    }
    let started = Instant::now();
    let now = state.now();
    let first = [
        "ana", "ben", "chloe", "dmitri", "elif", "farah", "gus", "hana", "ivan", "jonas", "keiko",
        "liam",
    ];
    let last = [
        "ruiz", "okafor", "schmidt", "nakamura", "haddad", "silva", "kowalski", "dubois", "patel",
        "kim",
    ];
    let mut n = have;
    while n < target {
        let txn = state.db.begin().await?;
        for _ in 0..50 {
            let batch_end = (n + 1000).min(target);
            if n >= batch_end {
                break;
            }
            let rows = (n..batch_end).map(|i| {
                let name = format!(
                    "{} {} {i}",
                    first[(i % 12) as usize],
                    last[((i / 12) % 10) as usize]
                );
                user::ActiveModel {
                    org_id: Set(org_id),
                    email: Set(format!("u{i}@bench.example")),
                    name_key: Set(name.clone()),
                    display_name: Set(name),
                    status: Set(if i % 20 == 0 { "suspended" } else { "active" }.into()),
                    department: Set(Some("Support".into())),
                    job_title: Set(None),
                    region: Set(Some(
                        ["EMEA", "NA", "APAC", "LATAM"][(i % 4) as usize].into(),
                    )),
                    product_lines: Set("Payments".into()),
                    employment: Set("employee".into()),
                    manager_id: Set(None),
                    is_admin: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            });
            user::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
            n = batch_end;
        }
        txn.commit().await?;
    }
    println!(
        "seeded {} users in {:.1} s",
        target - have,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs `f` `samples` times after a short warm-up; returns (median, p95) in milliseconds.
async fn measure<F, Fut>(samples: usize, mut f: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), app::domain::AppError>>,
{
    for _ in 0..5 {
        f().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let mut times: Vec<Duration> = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        f().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(started.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok((
        ms(times[times.len() / 2]),
        ms(times[(times.len() * 95 / 100).min(times.len() - 1)]),
    ))
}

/// Appends events to the organisation's chain until it holds `target`: 1,000 actors, every
/// action code, targets among 100,000 people, a year of time ending now. Hashes are real, so
/// verification has a real chain to check.
async fn seed_audit(state: &AppState, org_id: i64, target: u64) -> anyhow::Result<()> {
    use app::domain::audit::AuditAction;
    use app::server::entities::{audit_event, audit_head};
    use app::server::services::audit::event_hash;
    let head = audit_head::Entity::find_by_id(org_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no chain head"))?;
    let have = u64::try_from(head.seq)?;
    if have >= target {
        return Ok(());
    }
    let started = Instant::now();
    let end = state.now();
    let span_micros: i64 = 365 * 24 * 3600 * 1_000_000;
    let step = span_micros / i64::try_from(target)?.max(1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let (mut seq, mut prev) = (head.seq, head.hash.clone());
    let outcomes = [
        "success", "success", "success", "success", "failure", "denied",
    ];
    while u64::try_from(seq)? < target {
        let txn = state.db.begin().await?;
        for _ in 0..20 {
            let batch_end = (seq + 1000).min(i64::try_from(target)?);
            if seq >= batch_end {
                break;
            }
            let mut rows = Vec::with_capacity(1000);
            for s in (seq + 1)..=batch_end {
                let action = AuditAction::ALL[rng.gen_range(0..AuditAction::ALL.len())];
                let actor = rng.gen_range(0..1000);
                let target_user = rng.gen_range(0..100_000);
                let mut row = audit_event::Model {
                    id: 0,
                    org_id,
                    seq: s,
                    occurred_at: end
                        - chrono::Duration::microseconds(step * (i64::try_from(target)? - s)),
                    actor_id: Some(actor),
                    actor_label: format!("actor{actor}@bench.example"),
                    action: action.code().to_owned(),
                    target_type: Some("user".into()),
                    target_id: Some(target_user),
                    target_label: Some(format!("u{target_user}@bench.example")),
                    outcome: outcomes[rng.gen_range(0..outcomes.len())].to_owned(),
                    client_addr: Some(format!("10.{}.{}.{}", actor % 250, actor / 250, s % 250)),
                    user_agent: Some("castellan-bench".into()),
                    before_json: None,
                    after_json: Some(format!("{{\"n\":{s}}}")),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                row.hash = event_hash(&row);
                prev = row.hash.clone();
                let mut active: audit_event::ActiveModel = row.into();
                active.id = sea_orm::ActiveValue::NotSet;
                rows.push(active);
            }
            audit_event::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
            seq = batch_end;
        }
        audit_head::Entity::update_many()
            .col_expr(
                audit_head::Column::Seq,
                sea_orm::sea_query::Expr::value(seq),
            )
            .col_expr(
                audit_head::Column::Hash,
                sea_orm::sea_query::Expr::value(prev.clone()),
            )
            .filter(audit_head::Column::OrgId.eq(org_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        if seq % 1_000_000 == 0 {
            println!("  {seq} events, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    println!(
        "seeded {} audit events in {:.1} s",
        target - have,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Filtered audit-log pages over `events` events, and the whole chain verified.
async fn audit_bench(
    events: u64,
    postgres: Option<String>,
    samples: usize,
    postgres_only: bool,
) -> anyhow::Result<()> {
    use app::domain::audit::{AuditAction, AuditQuery};
    use app::server::authz::AuditEventView;
    use app::server::services::audit_log;
    println!(
        "machine: {} cores; {events} audit events; {samples} samples per query",
        std::thread::available_parallelism()?.get()
    );
    for (name, url) in targets(&format!("audit-{events}"), postgres) {
        if postgres_only && name != "PostgreSQL" {
            continue;
        }
        let state = open(url).await?;
        let principal = bench_admin(&state).await?;
        seed_audit(&state, principal.org_id, events).await?;
        if name == "PostgreSQL" {
            use sea_orm::ConnectionTrait;
            state
                .db
                .execute_unprepared("VACUUM ANALYZE audit_events")
                .await?;
        } else {
            use sea_orm::ConnectionTrait;
            state.db.execute_unprepared("ANALYZE").await?;
        }
        let grant =
            authorize_principal::<AuditEventView>(&state, &principal, &ClientInfo::default())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let queries = |make: &mut dyn FnMut(&mut rand::rngs::StdRng) -> AuditQuery,
                       rng: &mut rand::rngs::StdRng| {
            (0..samples + 5).map(|_| make(rng)).collect::<Vec<_>>()
        };
        let by_actor = queries(
            &mut |r| AuditQuery {
                actor: format!("actor{}@bench.example", r.gen_range(0..1000)),
                ..Default::default()
            },
            &mut rng,
        );
        let by_action = queries(
            &mut |r| AuditQuery {
                action: AuditAction::ALL[r.gen_range(0..AuditAction::ALL.len())]
                    .code()
                    .to_owned(),
                ..Default::default()
            },
            &mut rng,
        );
        let today = state.now().date_naive();
        let by_time = queries(
            &mut |r| {
                let day = today - chrono::Duration::days(r.gen_range(1..360));
                AuditQuery {
                    from: day.format("%Y-%m-%d").to_string(),
                    to: (day + chrono::Duration::days(7))
                        .format("%Y-%m-%d")
                        .to_string(),
                    ..Default::default()
                }
            },
            &mut rng,
        );
        let combined = queries(
            &mut |r| AuditQuery {
                action: "auth".into(),
                outcome: "failure".into(),
                actor: format!("actor{}@bench.example", r.gen_range(0..1000)),
                ..Default::default()
            },
            &mut rng,
        );
        let (state_ref, grant_ref) = (&state, &grant);
        for (label, list) in [
            ("by actor", by_actor),
            ("by action", by_action),
            ("by a week's time range", by_time),
            ("actor + category + outcome", combined),
        ] {
            let mut next = list.into_iter();
            let stats = measure(samples, || {
                let query = next.next().unwrap_or_default();
                async move {
                    audit_log::list(state_ref, grant_ref, &query)
                        .await
                        .map(|_| ())
                }
            })
            .await?;
            println!(
                "{name:<10} page {label:<28} median {:>7.2} ms   p95 {:>7.2} ms",
                stats.0, stats.1
            );
        }
        let started = Instant::now();
        let report =
            app::server::services::audit::verify_chain(&state.db, principal.org_id).await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{name:<10} chain verification: {} events in {secs:.1} s = {:.0} events/s, intact: {}",
            report.events,
            report.events as f64 / secs,
            report.first_break.is_none()
        );
    }
    Ok(())
}
