//! Builds the running application from a configuration: database, migrations, layers, routes.
//! Tests call [`build`] with port 0 and a fresh database.

use crate::config::{Config, LogFormat};
use crate::http::{self, layers};
use anyhow::Context;
use app::server::repo::sessions::DbSessionStore;
use app::server::{AppState, AuthSettings, Clock, SystemClock};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use migrations::MigratorTrait;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Installs the global tracing subscriber (text or JSON). Call once, from `main`.
pub fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr, so that what a command prints for its user (the demo credentials, a
    // verification report) is alone on stdout; colours only when a person is watching.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let result = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    if let Err(err) = result {
        eprintln!("tracing was already initialised: {err}");
    }
}

/// Opens the database. A SQLite file's directory is created if missing.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url.expose();
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        if !path.is_empty() && path != ":memory:" {
            if let Some(dir) = std::path::Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("could not create {}", dir.display()))?;
            }
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(config.max_connections)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(10))
                .foreign_keys(true)
        });
    // The URL may hold a password: report the failure without it.
    Database::connect(options).await.map_err(|e| {
        anyhow::anyhow!(
            "could not open the database: {}",
            redact(&e.to_string(), url)
        )
    })
}

fn redact(message: &str, url: &str) -> String {
    message.replace(url, "[database url]")
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    migrations::Migrator::up(db, None)
        .await
        .context("could not apply migrations")
}

/// The application, bound and ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// Shared state, for tests that want to look inside.
    pub state: AppState,
}

impl Application {
    /// The bound address (the real port when configured with port 0).
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until ctrl-c or SIGTERM, finishing requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

/// Connects, migrates and builds the router, with the system clock.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    build_with_clock(config, Arc::new(SystemClock)).await
}

/// As [`build`], with an injected clock (tests move time forward with it).
pub async fn build_with_clock(
    config: Config,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Application> {
    let db = connect(&config).await?;
    migrate(&db).await?;
    let auth = AuthSettings {
        idle_timeout_minutes: config.idle_timeout_minutes,
        absolute_timeout_minutes: config.absolute_timeout_minutes,
        account_failure_limit: config.account_failure_limit,
        address_failure_limit: config.address_failure_limit,
        throttle_window_minutes: config.throttle_window_minutes,
        step_up_minutes: config.step_up_minutes,
    };
    let state = AppState::new(db.clone(), clock, auth)
        .with_secrets(config.mfa_secrets()?)
        .with_audit(config.audit_signing_key()?, config.audit_settings());
    app::server::services::access::bootstrap(&state)
        .await
        .context("could not bring organisations' roles up to date")?;
    let listener = TcpListener::bind(&config.addr)
        .await
        .with_context(|| format!("could not listen on {}", config.addr))?;
    let public_url = config.public_url(listener.local_addr()?);
    let state = state.with_passkeys(&public_url);
    if let Err(why) = &state.passkeys {
        tracing::warn!("{why}");
    }
    let router = router(&config, state.clone(), listener.local_addr()?)?;

    let store = DbSessionStore::new(db);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(err) = store.delete_expired().await {
                tracing::warn!(error = %err, "could not delete expired sessions");
            }
        }
    });
    if config.jobs_interval_seconds > 0 {
        let jobs_state = state.clone();
        let every = std::time::Duration::from_secs(config.jobs_interval_seconds);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                app::server::services::jobs::run_once(&jobs_state).await;
            }
        });
    }
    Ok(Application {
        listener,
        router,
        state,
    })
}

/// The console's routes, generated once per process. Generating them sets a process-wide flag in
/// leptos_server 0.8 that leaves any resource first polled meanwhile pending forever
/// (leptos-rs/leptos#4773); several applications in one process (the tests) must not
/// generate while another serves.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

fn router(config: &Config, state: AppState, addr: std::net::SocketAddr) -> anyhow::Result<Router> {
    let leptos_options = LeptosOptions::builder()
        .output_name("castellan")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .build();
    let routes = route_list();

    let session_layer = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name("castellan_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.cookies_secure())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            config.idle_timeout_minutes,
        )));

    let context_state = state.clone();
    let app_routes = Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(leptos_options);

    let health = Router::new()
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .route("/audit/export.csv", get(http::audit_export::export))
        .route("/audit/export.ndjson", get(http::audit_export::export))
        .route(
            "/audit/checkpoints.json",
            get(http::audit_export::export_checkpoints),
        )
        .with_state(state.clone());

    // Layers run top to bottom for a request.
    let stack = tower::ServiceBuilder::new()
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(tower_http::request_id::MakeRequestUuid))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            // The path only: query strings can carry one-time tokens.
            tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        // No request may hold a connection forever, whatever goes wrong below.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            std::time::Duration::from_secs(30),
        ))
        .layer(axum::middleware::from_fn(layers::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            layers::TrustForwardedFor(config.trust_forwarded_for),
            layers::client_info,
        ))
        .layer(session_layer)
        .layer(axum::middleware::from_fn_with_state(state.clone(), layers::authenticate))
        .layer(axum::middleware::from_fn(layers::csrf))
        .layer(axum::middleware::from_fn(layers::require_sign_in));

    Ok(health.merge(app_routes).layer(stack))
}
