//! Benchmarks of the console's list queries at scale (not a test). Seeds a large organisation
//! and reports median and p95 server time of each query, on SQLite and, when given, PostgreSQL.
//!
//! `castellan-bench people --users 1000000 [--postgres postgres://…/db]`

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args {
        command:
            Bench::People {
                users,
                postgres,
                samples,
            },
    } = Args::parse();
    let sqlite = std::env::temp_dir().join(format!("castellan-bench-{users}.db"));
    let mut targets = vec![("SQLite", format!("sqlite://{}?mode=rwc", sqlite.display()))];
    if let Some(url) = postgres {
        targets.push(("PostgreSQL", url));
    }
    println!(
        "machine: {} cores; {users} users; {samples} samples per query",
        std::thread::available_parallelism()?.get()
    );
    for (name, url) in targets {
        let config = Config {
            database_url: Secret::new(url),
            ..Config::default()
        };
        let db = server::startup::connect(&config).await?;
        server::startup::migrate(&db).await?;
        let state = AppState::new(db, Arc::new(SystemClock), AuthSettings::default());
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
