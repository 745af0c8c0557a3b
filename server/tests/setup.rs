//! First run, timeouts and the command line.

mod helpers;

use app::server::services::setup::issue_setup_token;
use helpers::{location, Backend, TestApp, TestClock, ADMIN_PASSWORD};
use std::io::Write;
use std::process::{Command, Stdio};

async fn the_setup_link_creates_the_first_administrator_once(app: TestApp) {
    let token = issue_setup_token(&app.state).await.unwrap();
    let page = app.get_text(&format!("/setup?token={token}")).await;
    assert!(page.contains("Create organisation"));
    let csrf = helpers::extract_csrf(&page).unwrap();
    let fields = |confirm: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("token", token.clone()),
            ("form[org_name]", "First Org".to_owned()),
            ("form[org_slug]", "first-org".to_owned()),
            ("form[display_name]", "Fiona First".to_owned()),
            ("form[email]", "fiona@first.test".to_owned()),
            ("password", ADMIN_PASSWORD.to_owned()),
            ("confirm", confirm.to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let refs: Vec<(&str, String)> = fields;
        app.client
            .post(app.url("/api/setup"))
            .header("accept", "text/html")
            .form(&refs)
            .send()
    };
    // A typo in the confirmation keeps everything else that was typed, and the link still works.
    let response = post(fields("not the same")).await.unwrap();
    assert!(location(&response).unwrap().starts_with("/setup?token="));
    let again = app.get_text(&format!("/setup?token={token}")).await;
    assert!(again.contains("The two passwords do not match."));
    assert!(again.contains("value=\"fiona@first.test\""));
    let response = post(fields(ADMIN_PASSWORD)).await.unwrap();
    assert_eq!(location(&response).as_deref(), Some("/"));
    assert!(app.get_text("/").await.contains("Dashboard"));
    // The link is spent.
    let other = app.other_browser();
    assert!(other
        .get_text(&format!("/setup?token={token}"))
        .await
        .contains("expired or was already used"));
}

async fn a_session_ends_at_the_absolute_timeout() {
    let clock = TestClock::new();
    let app = helpers::spawn_app_with_clock(Backend::Sqlite, clock.clone())
        .await
        .unwrap();
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    clock.advance(chrono::Duration::hours(11));
    assert_eq!(app.get("/").await.status(), 200);
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(
        app.get("/").await.status(),
        303,
        "12 hours after sign-in the session is over"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_timeout() {
    a_session_ends_at_the_absolute_timeout().await;
}

/// A path beside the SQLite file of `db_url`.
fn cli_side_file(db_url: &str, suffix: &str) -> String {
    let path = db_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap_or_default();
    format!("{path}.{suffix}")
}

fn castellan(db_url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_castellan"))
        .args(args)
        .env("CASTELLAN_DATABASE_URL", db_url)
        .env("CASTELLAN_LOG_LEVEL", "warn")
        // Keys and archives beside the test database, never in the working directory.
        .env("CASTELLAN_MFA_KEY_FILE", cli_side_file(db_url, "mfa.key"))
        .env(
            "CASTELLAN_AUDIT_SIGNING_KEY_FILE",
            cli_side_file(db_url, "signing.key"),
        )
        .env(
            "CASTELLAN_AUDIT_ARCHIVE_DIR",
            cli_side_file(db_url, "archive"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("castellan runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn admin_create_reads_the_password_from_stdin_and_audit_verify_finds_tampering() {
    let path = std::env::temp_dir().join(format!(
        "castellan-cli-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let create = [
        "admin",
        "create",
        "--org",
        "cli-org",
        "--email",
        "root@cli.test",
        "--name",
        "Root",
    ];

    let short = castellan(&url, &create, "short\n");
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let created = castellan(&url, &create, "a long enough password\n");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let out = String::from_utf8_lossy(&created.stdout);
    assert!(out.contains("root@cli.test"));
    assert!(!out.contains("a long enough password"));

    let seeded = castellan(&url, &["demo", "seed"], "");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    assert!(String::from_utf8_lossy(&seeded.stdout).contains("Password (shown once):"));
    let again = castellan(&url, &["demo", "seed"], "");
    assert!(String::from_utf8_lossy(&again.stdout).contains("Kept the demo organisation"));

    let verified = castellan(&url, &["audit", "verify"], "");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    assert!(String::from_utf8_lossy(&verified.stdout).contains("chain intact"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(url.clone()).await.unwrap();
        db.execute_unprepared("UPDATE audit_events SET outcome = 'failure' WHERE seq = 2")
            .await
            .unwrap();
    });
    let broken = castellan(&url, &["audit", "verify"], "");
    assert_eq!(broken.status.code(), Some(1));
    let report = String::from_utf8_lossy(&broken.stdout);
    assert!(report.contains("BROKEN at event 2"), "{report}");
}

/// Every migration's `down` undoes its `up`: the whole schema rolls back to nothing and is
/// built again, and the console still works on it.
async fn every_migration_rolls_back_and_applies_again(app: TestApp) {
    use migrations::MigratorTrait;
    app.admin("acme", "admin@acme.example").await;
    let db = &app.state.db;
    migrations::Migrator::down(db, None)
        .await
        .expect("every migration rolls back");
    assert!(migrations::Migrator::get_applied_migrations(db)
        .await
        .unwrap()
        .is_empty());
    migrations::Migrator::up(db, None)
        .await
        .expect("every migration applies again");
    app::server::services::access::bootstrap(&app.state)
        .await
        .unwrap();
    let admin = app.admin("acme", "admin@acme.example").await;
    app.sign_in_ok("acme", "admin@acme.example", ADMIN_PASSWORD)
        .await;
    let report = app::server::services::audit::verify_chain(db, admin.org_id)
        .await
        .unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
}

on_both_databases!(
    the_setup_link_creates_the_first_administrator_once,
    every_migration_rolls_back_and_applies_again
);
