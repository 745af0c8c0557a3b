//! Test harness: `spawn_app()` starts Castellan on port 0 with a fresh database, SQLite or
//! PostgreSQL, and a browser-like HTTP client.

#![allow(dead_code)]

use app::domain::values::{DisplayName, Email, NewPassword, OrgSlug};
use app::server::ctx::ClientInfo;
use app::server::services::setup::{create_administrator, NewAdmin};
use app::server::{AppState, Principal};
use reqwest::redirect::Policy;
use server::config::{Config, Secret};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and a client that keeps cookies like a browser, without following redirects.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
}

/// The password every test administrator gets.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// Sends the application's errors to the test's captured output, so a failing test
/// shows the detail behind an `Internal` reference.
fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
            )
            .with_test_writer()
            .try_init();
    });
}

async fn postgres_url() -> Option<String> {
    let admin_url = std::env::var("CASTELLAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(admin_url.clone())
        .await
        .unwrap_or_else(|e| {
            panic!("CASTELLAN_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}")
        });
    let name = format!("castellan_t_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base.to_owned())
        .expect("database url has a path");
    Some(format!("{base}/{name}"))
}

/// A clock tests can move forward.
#[derive(Debug)]
pub struct TestClock(std::sync::Mutex<chrono::DateTime<chrono::Utc>>);

impl TestClock {
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(TestClock(std::sync::Mutex::new(
            app::server::state::truncate_to_micros(chrono::Utc::now()),
        )))
    }

    /// A clock that starts at `at`.
    pub fn at(at: chrono::DateTime<chrono::Utc>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(TestClock(std::sync::Mutex::new(
            app::server::state::truncate_to_micros(at),
        )))
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.0.lock().unwrap()
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl app::server::Clock for TestClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.0.lock().unwrap()
    }
}

/// Starts a fresh Castellan. Returns `None` for PostgreSQL when no test server is configured.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with_clock(backend, std::sync::Arc::new(app::server::SystemClock)).await
}

/// As [`spawn_app`], with the given clock.
pub async fn spawn_app_with_clock(
    backend: Backend,
    clock: std::sync::Arc<dyn app::server::Clock>,
) -> Option<TestApp> {
    capture_logs();
    let database_url = match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!(
                "castellan-test-{}.db",
                uuid::Uuid::new_v4().simple()
            ));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => postgres_url().await?,
    };
    let config = Config {
        database_url: Secret::new(database_url),
        addr: "127.0.0.1:0".into(),
        max_connections: 5,
        mfa_key: Some(Secret::new(app::server::mfa::SecretBox::generate_key())),
        audit_signing_key: Some(Secret::new(
            app::server::services::checkpoint::generate_signing_key(),
        )),
        audit_archive_dir: std::env::temp_dir()
            .join(format!(
                "castellan-test-archive-{}",
                uuid::Uuid::new_v4().simple()
            ))
            .display()
            .to_string(),
        // Tests run the jobs themselves, when and as often as they mean to.
        jobs_interval_seconds: 0,
        webhook_allow_private: true,
        ..Config::default()
    };
    let application = server::startup::build_with_clock(config, clock)
        .await
        .expect("the app builds");
    let base = format!("http://{}", application.local_addr());
    let state = application.state.clone();
    tokio::spawn(application.run_until_stopped());
    Some(TestApp {
        base,
        client: client(),
        state,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A second browser: same server, separate cookies.
    pub fn other_browser(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            client: client(),
            state: self.state.clone(),
        }
    }

    /// Creates an organisation with an administrator.
    pub async fn admin(&self, org: &str, email: &str) -> Principal {
        let admin = NewAdmin {
            org_name: DisplayName::parse(&format!("Org {org}")).unwrap(),
            org_slug: OrgSlug::parse(org).unwrap(),
            email: Email::parse(email).unwrap(),
            display_name: DisplayName::parse("Test Admin").unwrap(),
            password: NewPassword::parse(ADMIN_PASSWORD).unwrap(),
        };
        create_administrator(&self.state, &admin, "test", &ClientInfo::default())
            .await
            .expect("admin created")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// The CSRF token rendered into the page at `path`.
    pub async fn csrf(&self, path: &str) -> String {
        let html = self.get_text(path).await;
        extract_csrf(&html).unwrap_or_else(|| panic!("no csrf token on {path}"))
    }

    /// Posts a form like a browser does (urlencoded, accepting HTML).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Signs in through the login form; returns the response (a redirect on success).
    pub async fn sign_in(&self, org: &str, email: &str, password: &str) -> reqwest::Response {
        let token = self.csrf("/login").await;
        self.post_form(
            "/api/sign_in",
            &[
                ("csrf_token", &token),
                ("org", org),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    /// Signs in and asserts that it worked.
    pub async fn sign_in_ok(&self, org: &str, email: &str, password: &str) {
        let response = self.sign_in(org, email, password).await;
        assert_eq!(
            location(&response).as_deref(),
            Some("/"),
            "sign-in should redirect to the dashboard"
        );
    }

    /// Creates a person through the form; returns the redirect location.
    pub async fn create_person(
        &self,
        name: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        let token = self.csrf("/people/new").await;
        self.post_form(
            "/api/people/create",
            &[
                ("csrf_token", &token),
                ("form[display_name]", name),
                ("form[email]", email),
                ("form[department]", "Support"),
                ("form[job_title]", "Agent"),
                ("form[region]", "EMEA"),
                ("form[employment]", "employee"),
                ("form[product_lines]", "Payments"),
                ("form[manager_email]", ""),
                ("initial_password", password),
            ],
        )
        .await
    }
}

pub fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// Runs each listed `async fn(TestApp)` on SQLite, and on PostgreSQL when configured.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.expect("sqlite app");
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// As [`on_both_databases`], for tests that move time: each gets its app and its clock, which
/// starts at 10:00 UTC today (inside default business hours).
#[macro_export]
macro_rules! on_both_databases_with_clock {
    ($($name:ident),* $(,)?) => {
        mod sqlite_clocked {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let clock = $crate::helpers::TestClock::at($crate::helpers::ten_today());
                    let app = $crate::helpers::spawn_app_with_clock($crate::helpers::Backend::Sqlite, clock.clone()).await.expect("sqlite app");
                    super::$name(app, clock).await;
                }
            )*
        }
        mod postgres_clocked {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let clock = $crate::helpers::TestClock::at($crate::helpers::ten_today());
                    if let Some(app) = $crate::helpers::spawn_app_with_clock($crate::helpers::Backend::Postgres, clock.clone()).await {
                        super::$name(app, clock).await;
                    }
                }
            )*
        }
    };
}

/// 10:00 UTC today.
pub fn ten_today() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .expect("a valid time")
        .and_utc()
}
