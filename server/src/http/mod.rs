//! HTTP layers around the console: request ids and tracing, security headers, client info,
//! sessions, the principal, CSRF and the sign-in guard; plus health endpoints.

pub mod audit_export;
pub mod layers;

use app::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use migrations::MigratorTrait;

/// `/healthz`: the process is up.
pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// `/readyz`: the database answers and every migration is applied.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if let Err(err) = state.db.ping().await {
        tracing::warn!(error = %err, "readiness: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable");
    }
    match migrations::Migrator::get_pending_migrations(&state.db).await {
        Ok(pending) if pending.is_empty() => (StatusCode::OK, "ready"),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Err(err) => {
            tracing::warn!(error = %err, "readiness: cannot read migrations");
            (StatusCode::SERVICE_UNAVAILABLE, "migrations unknown")
        }
    }
}
