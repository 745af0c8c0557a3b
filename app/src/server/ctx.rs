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
    /// Set between a correct password and the second step; not a sign-in yet.
    pub const PENDING_USER_ID: &str = "pending_user_id";
    pub const PENDING_ORG_ID: &str = "pending_org_id";
    pub const PENDING_AT: &str = "pending_at";
    /// When, and with which factor, the second step was last passed (unix seconds).
    pub const MFA_AT: &str = "mfa_at";
    pub const MFA_FACTOR: &str = "mfa_factor";
    /// What a form had when it was interrupted for a step-up, restored when it passes.
    pub const RESUME: &str = "resume";
    /// A passkey registration, or a passkey check, between its two requests.
    pub const PASSKEY_REGISTRATION: &str = "passkey_registration";
    pub const PASSKEY_CHECK: &str = "passkey_check";
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
    /// The principal's resolved access, loaded on first use and shared by every decision of
    /// the request.
    access: tokio::sync::OnceCell<std::sync::Arc<crate::server::authz::Access>>,
}

impl RequestCtx {
    /// Loads the context from what the HTTP layers attached to the request.
    pub async fn load() -> Result<Self, AppError> {
        let state = use_context::<AppState>().ok_or_else(|| internal("missing app state"))?;
        let parts = use_context::<Parts>().ok_or_else(|| internal("missing request parts"))?;
        Self::from_parts(state, &parts)
    }

    /// The context of a plain HTTP handler (downloads), from its request parts.
    pub fn from_parts(state: AppState, parts: &Parts) -> Result<Self, AppError> {
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
            access: tokio::sync::OnceCell::new(),
        })
    }

    /// The principal's access, loaded once per request.
    pub async fn access(&self) -> Result<std::sync::Arc<crate::server::authz::Access>, AppError> {
        let principal = self.principal()?;
        self.access
            .get_or_try_init(|| async {
                let mfa = match (
                    self.session.get::<i64>(keys::MFA_AT).await.ok().flatten(),
                    self.session
                        .get::<String>(keys::MFA_FACTOR)
                        .await
                        .ok()
                        .flatten(),
                ) {
                    (Some(at), factor) => chrono::DateTime::from_timestamp(at, 0).map(|at| {
                        crate::server::authz::engine::MfaContext {
                            factor: factor.unwrap_or_else(|| "totp".into()),
                            at,
                        }
                    }),
                    _ => None,
                };
                crate::server::authz::Access::load(&self.state, principal, mfa)
                    .await
                    .map(std::sync::Arc::new)
            })
            .await
            .cloned()
    }

    /// The signed-in principal, or `Unauthenticated`.
    pub fn principal(&self) -> Result<&Principal, AppError> {
        self.principal.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// Starts a signed-in session for `principal` under a fresh session id, so that an id
    /// planted before sign-in is worthless, with a fresh CSRF token.
    pub async fn start_session(&self, principal: &Principal) -> Result<(), AppError> {
        let now = self.state.now().timestamp();
        self.fresh_session(&[
            (keys::USER_ID, principal.user_id),
            (keys::ORG_ID, principal.org_id),
            (keys::SIGNED_IN_AT, now),
            (keys::LAST_SEEN, now),
        ])
        .await
    }

    /// Starts the second step of a sign-in: a fresh session id that holds only who passed the
    /// password, so nothing is reachable until the second factor is checked.
    pub async fn start_pending_mfa(&self, principal: &Principal) -> Result<(), AppError> {
        self.fresh_session(&[
            (keys::PENDING_USER_ID, principal.user_id),
            (keys::PENDING_ORG_ID, principal.org_id),
            (keys::PENDING_AT, self.state.now().timestamp()),
        ])
        .await
    }

    /// Replaces the session with a new id holding only `entries` and a new CSRF token.
    async fn fresh_session(&self, entries: &[(&str, i64)]) -> Result<(), AppError> {
        self.session.cycle_id().await.map_err(internal)?;
        self.session.clear().await;
        for (key, value) in entries {
            self.session.insert(key, value).await.map_err(internal)?;
        }
        let csrf = crate::server::password::random_token(32);
        self.session
            .insert(keys::CSRF, csrf)
            .await
            .map_err(internal)
    }

    /// Step-up: people with a second factor must have passed it within the configured minutes
    /// before a sensitive action. If they have not, what they typed is kept, they are sent to
    /// `/step-up`, and passing it brings them back to `back` with the form as they left it.
    pub async fn require_step_up<V: Serialize>(
        &self,
        form: &str,
        values: &V,
        back: &str,
    ) -> Result<(), AppError> {
        let principal = self.principal()?;
        let has_factor = crate::server::services::mfa::has_second_factor(
            &self.state,
            principal.org_id,
            principal.user_id,
        )
        .await
        .map_err(internal)?;
        if !has_factor {
            return Ok(());
        }
        let passed = self.session.get::<i64>(keys::MFA_AT).await.ok().flatten();
        let window = self.state.auth.step_up_minutes * 60;
        if passed.is_some_and(|at| self.state.now().timestamp() - at <= window) {
            return Ok(());
        }
        if self.is_form_post {
            let resume = Flash {
                path: Some(back.to_owned()),
                form: Some(form.to_owned()),
                values: flatten_values(serde_json::to_value(values).ok()),
                errors: Default::default(),
                error: None,
                notice: Some("Second factor confirmed. Check the form and submit it again.".into()),
            };
            self.session
                .insert(keys::RESUME, resume)
                .await
                .map_err(internal)?;
            leptos_axum::redirect(&format!("/step-up?back={back}"));
        } else {
            set_status(&AppError::MfaRequired);
        }
        Err(AppError::MfaRequired)
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
            let values = flatten_values(serde_json::to_value(values).ok());
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
        self.succeed_showing(notice, to, None).await;
    }

    /// As [`RequestCtx::succeed`], with values the next page shows once (such as new recovery
    /// codes), under the form name `shown`.
    pub async fn succeed_showing(
        &self,
        notice: impl Into<String>,
        to: &str,
        shown: Option<(&str, std::collections::BTreeMap<String, String>)>,
    ) {
        self.leave_notice(notice, to, shown).await;
        leptos_axum::redirect(to);
    }

    /// A notice (and values to show once) for the page at `to`, for calls whose script
    /// navigates there itself.
    pub async fn leave_notice(
        &self,
        notice: impl Into<String>,
        to: &str,
        shown: Option<(&str, std::collections::BTreeMap<String, String>)>,
    ) {
        let (form, values) = match shown {
            Some((form, values)) => (Some(form.to_owned()), values),
            None => (None, Default::default()),
        };
        let flash = Flash {
            path: Some(to.to_owned()),
            notice: Some(notice.into()),
            form,
            values,
            ..Default::default()
        };
        if let Err(err) = self.session.insert(keys::FLASH, flash).await {
            tracing::warn!(error = %err, "could not store flash notice");
        }
    }

    /// Maps an error for a non-form call: the status code follows the error kind.
    pub fn fail(&self, error: AppError) -> AppError {
        set_status(&error);
        error
    }
}

/// A form's values as text for the flash: lists (checkbox groups) are joined with commas.
fn flatten_values(values: Option<serde_json::Value>) -> std::collections::BTreeMap<String, String> {
    let Some(serde_json::Value::Object(map)) = values else {
        return Default::default();
    };
    map.into_iter()
        .filter_map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                serde_json::Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((key, text))
        })
        .collect()
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
