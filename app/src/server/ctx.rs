//! The request context: state, session, principal and client, loaded once per server function.

use crate::domain::flash::Flash;
use crate::domain::AppError;
use crate::server::state::AppState;
use http::request::Parts;
use leptos::prelude::{expect_context, use_context};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// Session keys. Kept in one place so the middleware and the services agree.
pub mod keys {
    pub const USER_ID: &str = "user_id";
    pub const ORG_ID: &str = "org_id";
    pub const SIGNED_IN_AT: &str = "signed_in_at";
    pub const CSRF: &str = "csrf";
    pub const FLASH: &str = "flash";
    pub const LAST_SEEN: &str = "last_seen";
}

/// The signed-in person, loaded fresh from the database on every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: i64,
    pub org_id: i64,
    pub org_slug: String,
    pub org_name: String,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
}

/// Where a request came from, for the audit log and throttling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

/// Request extension set by the authentication layer.
#[derive(Debug, Clone, Default)]
pub struct CurrentPrincipal(pub Option<Principal>);

/// Everything a server function needs to do its work.
pub struct RequestCtx {
    pub state: AppState,
    pub session: Session,
    pub principal: Option<Principal>,
    pub client: ClientInfo,
    /// A browser form post (as opposed to a fetch from code): errors are carried by flash and
    /// a redirect instead of a status code.
    pub is_form_post: bool,
}

impl RequestCtx {
    /// Loads the context from what the HTTP layers attached to the request.
    pub async fn load() -> Result<Self, AppError> {
        let state = use_context::<AppState>().ok_or_else(|| internal("missing app state"))?;
        let parts = use_context::<Parts>().ok_or_else(|| internal("missing request parts"))?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| internal("missing session layer"))?;
        let principal = parts
            .extensions
            .get::<CurrentPrincipal>()
            .and_then(|p| p.0.clone());
        let client = parts
            .extensions
            .get::<ClientInfo>()
            .cloned()
            .unwrap_or_default();
        let is_form_post = parts.method == http::Method::POST
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"));
        Ok(RequestCtx {
            state,
            session,
            principal,
            client,
            is_form_post,
        })
    }

    /// The signed-in principal, or `Unauthenticated`.
    pub fn principal(&self) -> Result<&Principal, AppError> {
        self.principal.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// Starts a signed-in session for `principal` under a fresh session id, so that an id
    /// planted before sign-in is worthless, with a fresh CSRF token.
    pub async fn start_session(&self, principal: &Principal) -> Result<(), AppError> {
        self.session.cycle_id().await.map_err(internal)?;
        self.session.clear().await;
        let now = self.state.now().timestamp();
        self.session
            .insert(keys::USER_ID, principal.user_id)
            .await
            .map_err(internal)?;
        self.session
            .insert(keys::ORG_ID, principal.org_id)
            .await
            .map_err(internal)?;
        self.session
            .insert(keys::SIGNED_IN_AT, now)
            .await
            .map_err(internal)?;
        self.session
            .insert(keys::LAST_SEEN, now)
            .await
            .map_err(internal)?;
        let csrf = crate::server::password::random_token(32);
        self.session
            .insert(keys::CSRF, csrf)
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Finishes a form submission that failed: keeps what was typed and the messages in the
    /// session and sends the browser back to the form. API callers get the status code instead.
    pub async fn fail_form<V: Serialize>(
        &self,
        form: &str,
        values: &V,
        back_to: &str,
        error: AppError,
    ) -> AppError {
        if self.is_form_post {
            let values = serde_json::to_value(values)
                .ok()
                .and_then(|v| {
                    serde_json::from_value::<std::collections::BTreeMap<String, String>>(v).ok()
                })
                .unwrap_or_default();
            let (errors, message) = match &error {
                AppError::Validation(fields) => (fields.clone(), None),
                other => (Default::default(), Some(other.to_string())),
            };
            let flash = Flash {
                path: Some(back_to.to_owned()),
                form: Some(form.to_owned()),
                values,
                errors,
                error: message,
                notice: None,
            };
            if self.session.insert(keys::FLASH, flash).await.is_ok() {
                leptos_axum::redirect(back_to);
                return error;
            }
        }
        set_status(&error);
        error
    }

    /// Finishes a successful form submission: a notice for the next page, and a redirect there.
    pub async fn succeed(&self, notice: impl Into<String>, to: &str) {
        let flash = Flash {
            path: Some(to.to_owned()),
            notice: Some(notice.into()),
            ..Default::default()
        };
        if let Err(err) = self.session.insert(keys::FLASH, flash).await {
            tracing::warn!(error = %err, "could not store flash notice");
        }
        leptos_axum::redirect(to);
    }

    /// Maps an error for a non-form call: the status code follows the error kind.
    pub fn fail(&self, error: AppError) -> AppError {
        set_status(&error);
        error
    }
}

fn set_status(error: &AppError) {
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(error.status()) {
            options.set_status(status);
        }
    }
}

/// Logs an internal failure with a fresh reference id and returns the error the client sees.
pub fn internal(detail: impl std::fmt::Display) -> AppError {
    let reference = crate::server::password::random_token(6);
    tracing::error!(reference = %reference, detail = %detail, "internal error");
    AppError::Internal(reference)
}

/// The session of the current request, for server functions that need it directly.
pub fn current_session() -> Option<Session> {
    use_context::<Parts>().and_then(|p| p.extensions.get::<Session>().cloned())
}

/// Shortcut to the application state.
pub fn app_state() -> AppState {
    expect_context::<AppState>()
}
