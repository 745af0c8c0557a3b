//! Middleware functions. Each is small and does one thing; `startup` stacks them.

use app::server::ctx::{keys, ClientInfo, CurrentPrincipal};
use app::server::password::constant_time_eq;
use app::server::services::auth::load_principal;
use app::server::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use tower_sessions::Session;

/// Whether to believe `X-Forwarded-For` (set from configuration).
#[derive(Debug, Clone, Copy)]
pub struct TrustForwardedFor(pub bool);

/// The client's address: the peer, or behind a trusted proxy the last `X-Forwarded-For` entry,
/// the one the proxy itself appended (earlier entries are whatever the client sent).
pub fn client_address(
    peer: Option<&str>,
    forwarded_for: Option<&str>,
    trust_forwarded_for: bool,
) -> Option<String> {
    let forwarded = forwarded_for
        .filter(|_| trust_forwarded_for)
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .filter(|v| v.parse::<std::net::IpAddr>().is_ok());
    forwarded.or(peer).map(str::to_owned)
}

/// Records the client address and user agent for the audit log and throttling.
pub async fn client_info(
    State(trust): State<TrustForwardedFor>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let forwarded_for = request
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let address = client_address(peer.as_deref(), forwarded_for, trust.0);
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(300).collect());
    request.extensions_mut().insert(ClientInfo {
        address,
        user_agent,
    });
    next.run(request).await
}

/// Security headers on every response. Pages set their own CSP (with the script nonce) in
/// the shell; everything else gets a CSP that allows nothing.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html || !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Loads the principal named by the session, ending sessions that are past their absolute
/// timeout or whose person is no longer active.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let mut principal = None;
    if let Some(session) = request.extensions().get::<Session>().cloned() {
        let user_id = session.get::<i64>(keys::USER_ID).await.ok().flatten();
        let org_id = session.get::<i64>(keys::ORG_ID).await.ok().flatten();
        if let (Some(user_id), Some(org_id)) = (user_id, org_id) {
            let signed_in_at = session
                .get::<i64>(keys::SIGNED_IN_AT)
                .await
                .ok()
                .flatten()
                .unwrap_or(0);
            let age_minutes = (state.now().timestamp() - signed_in_at) / 60;
            let loaded = if age_minutes >= state.auth.absolute_timeout_minutes {
                None
            } else {
                match load_principal(&state, org_id, user_id).await {
                    Ok(found) => found,
                    Err(err) => {
                        tracing::error!(error = %err, "could not load the session's principal");
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            "The database is unavailable; try again shortly.",
                        )
                            .into_response();
                    }
                }
            };
            if loaded.is_none() {
                // Suspended, removed, or timed out: the session ends now.
                let _ = session.flush().await;
            } else {
                // Saving extends the stored expiry (the idle timeout); once a minute is enough.
                let now = state.now().timestamp();
                let seen = session
                    .get::<i64>(keys::LAST_SEEN)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(0);
                if now - seen >= 60 {
                    let _ = session.insert(keys::LAST_SEEN, now).await;
                }
            }
            principal = loaded;
        }
    }
    request.extensions_mut().insert(CurrentPrincipal(principal));
    next.run(request).await
}

const FORM_LIMIT: usize = 256 * 1024;

fn csrf_rejection() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><html lang=\"en\"><title>Request refused</title><main><h1>Request refused</h1>\
         <p>This form has expired or did not come from Castellan. Go back, reload the page and try again.</p>\
         <p><a href=\"/\">Castellan</a></p></main></html>",
    )
        .into_response()
}

/// Refuses every state-changing request that does not carry the session's CSRF token, in the
/// `X-CSRF-Token` header or the `csrf_token` form field. Server functions included.
pub async fn csrf(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return csrf_rejection();
    };
    let Some(expected) = session.get::<String>(keys::CSRF).await.ok().flatten() else {
        return csrf_rejection();
    };
    if let Some(token) = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if constant_time_eq(token, &expected) {
            next.run(request).await
        } else {
            csrf_rejection()
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return csrf_rejection();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response();
    };
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.into_owned());
    match token {
        Some(token) if constant_time_eq(&token, &expected) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => csrf_rejection(),
    }
}

/// Paths anyone may open without signing in.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/login/mfa" | "/setup" | "/healthz" | "/readyz" | "/favicon.ico"
    ) || path.starts_with("/pkg/")
        || path.starts_with("/api/")
}

/// Sends people who are not signed in to the sign-in page (server functions answer 401 on
/// their own).
pub async fn require_sign_in(request: Request, next: Next) -> Response {
    let signed_in = request
        .extensions()
        .get::<CurrentPrincipal>()
        .is_some_and(|p| p.0.is_some());
    if signed_in || request.method() != Method::GET || is_public(request.uri().path()) {
        return next.run(request).await;
    }
    Redirect::to("/login").into_response()
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn forwarded_for_is_ignored_unless_trusted() {
        assert_eq!(
            client_address(Some("10.0.0.9"), Some("1.2.3.4"), false).as_deref(),
            Some("10.0.0.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_last_entry_counts_not_what_the_client_sent() {
        let header = Some("6.6.6.6, 203.0.113.7");
        assert_eq!(
            client_address(Some("10.0.0.9"), header, true).as_deref(),
            Some("203.0.113.7")
        );
    }

    #[test]
    fn a_malformed_forwarded_for_falls_back_to_the_peer() {
        assert_eq!(
            client_address(Some("10.0.0.9"), Some("not-an-ip"), true).as_deref(),
            Some("10.0.0.9")
        );
    }
}
