//! The console's pages, layouts and components.

pub mod components;
pub mod layout;
pub mod pages;

use crate::api::session::get_session_info;
use crate::domain::flash::SessionInfo;
use crate::domain::AppError;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The session of the page being shown, loaded once per full page load.
pub type SessionResource = Resource<Result<SessionInfo, AppError>>;

/// The session resource provided by [`App`].
pub fn use_session() -> SessionResource {
    expect_context::<SessionResource>()
}

/// The flash of this page load, if it is meant for the page being shown.
pub fn page_flash(info: &SessionInfo) -> crate::domain::flash::Flash {
    let path = leptos_router::hooks::use_location()
        .pathname
        .get_untracked();
    info.flash.clone().for_path(&path)
}

/// The HTML document around the app, with the CSP nonce on the hydration scripts.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="data:,"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The console: routes, each rendered completely on the server (`SsrMode::Async`) so that
/// every page and form works with JavaScript off.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session: SessionResource = Resource::new_blocking(|| (), |_| get_session_info());
    provide_context(session);
    view! {
        <Stylesheet id="castellan" href="/pkg/castellan.css"/>
        <Title formatter=|text: String| if text.is_empty() { "Castellan".to_owned() } else { format!("{text} · Castellan") }/>
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=pages::setup::SetupPage ssr=SsrMode::Async/>
                <Route path=path!("/login/mfa") view=pages::security::MfaLoginPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=layout::ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::dashboard::DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("people") view=pages::people::PeoplePage ssr=SsrMode::Async/>
                    <Route path=path!("people/new") view=pages::people::NewPersonPage ssr=SsrMode::Async/>
                    <Route path=path!("people/suspend") view=pages::people::ConfirmSuspendPage ssr=SsrMode::Async/>
                    <Route path=path!("people/:id") view=pages::people::PersonPage ssr=SsrMode::Async/>
                    <Route path=path!("profile") view=pages::profile::ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("security") view=pages::security::SecurityPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=pages::security::SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("audit") view=pages::audit::AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("audit/integrity") view=pages::audit::IntegrityPage ssr=SsrMode::Async/>
                    <Route path=path!("audit/settings") view=pages::audit_operations::AuditSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("audit/webhooks/:id/delete") view=pages::audit_operations::DeleteWebhookPage ssr=SsrMode::Async/>
                    <Route path=path!("alerts") view=pages::alerts::AlertsPage ssr=SsrMode::Async/>
                    <Route path=path!("audit/:seq") view=pages::audit::AuditEventPage ssr=SsrMode::Async/>
                    <Route path=path!("step-up") view=pages::security::StepUpPage ssr=SsrMode::Async/>
                    <Route path=path!("roles") view=pages::access::RolesPage ssr=SsrMode::Async/>
                    <Route path=path!("roles/new") view=pages::access::NewRolePage ssr=SsrMode::Async/>
                    <Route path=path!("roles/:id") view=pages::access::RolePage ssr=SsrMode::Async/>
                    <Route path=path!("roles/:id/delete") view=pages::access::DeleteRolePage ssr=SsrMode::Async/>
                    <Route path=path!("permissions") view=pages::access::PermissionsPage ssr=SsrMode::Async/>
                    <Route path=path!("permissions/:code") view=pages::access::PermissionPage ssr=SsrMode::Async/>
                    <Route path=path!("assignments/:id/revoke") view=pages::access::RevokeAssignmentPage ssr=SsrMode::Async/>
                    <Route path=path!("teams") view=pages::units::TeamsPage ssr=SsrMode::Async/>
                    <Route path=path!("teams/:id") view=pages::units::TeamPage ssr=SsrMode::Async/>
                    <Route path=path!("groups") view=pages::units::GroupsPage ssr=SsrMode::Async/>
                    <Route path=path!("groups/:id") view=pages::units::GroupPage ssr=SsrMode::Async/>
                    <Route path=path!("tickets") view=pages::workspace::TicketsPage ssr=SsrMode::Async/>
                    <Route path=path!("tickets/:id") view=pages::workspace::TicketPage ssr=SsrMode::Async/>
                    <Route path=path!("feedback") view=pages::workspace::FeedbackPage ssr=SsrMode::Async/>
                    <Route path=path!("customers") view=pages::workspace::CustomersPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Gives this response a fresh script nonce and a CSP that allows only scripts carrying it (and
/// what they load), the wasm module, and same-origin styles, forms and connections.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    leptos::nonce::provide_nonce();
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    );
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) {
        options.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
