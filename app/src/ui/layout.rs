//! The console layout: skip link, header with navigation and user menu, main landmark.

use super::components::{ErrorNotice, FlashNotice};
use super::use_session;
use crate::api::auth::SignOut;
use crate::domain::permission::Permission;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_location;

/// A navigation link; `<A>` marks the current page with `aria-current="page"`.
#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <li>
            <A href=href exact=href == "/">{label}</A>
        </li>
    }
}

/// Sections of the console and the permission that shows each in the navigation. Showing is a
/// courtesy: every page asks the engine again on the server.
const NAV: [(&str, &str, Permission); 11] = [
    ("/tickets", "Tickets", Permission::TicketView),
    ("/feedback", "Feedback", Permission::FeedbackView),
    ("/customers", "Customers", Permission::CustomerView),
    ("/people", "People", Permission::UserView),
    ("/teams", "Teams", Permission::TeamView),
    ("/groups", "Groups", Permission::GroupView),
    ("/roles", "Roles", Permission::RoleView),
    ("/permissions", "Permissions", Permission::RoleView),
    ("/audit", "Audit log", Permission::AuditEventView),
    ("/alerts", "Alerts", Permission::AuditEventView),
    ("/settings", "Settings", Permission::SettingsView),
];

/// Wraps every signed-in page.
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let session = use_session();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(info) => match info.user.clone() {
                        Some(user) => view! {
                            <header class="topbar">
                                <a class="brand" href="/">
                                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                                    " Castellan"
                                </a>
                                <span class="org-name">{user.org_name.clone()}</span>
                                <nav aria-label="Main">
                                    <ul>
                                        <NavLink href="/" label="Dashboard"/>
                                        {NAV.iter().filter(|(_, _, p)| user.may(*p)).map(|(href, label, _)| view! {
                                            <NavLink href=*href label=*label/>
                                        }).collect_view()}
                                    </ul>
                                </nav>
                                <details class="user-menu">
                                    <summary>
                                        <span class="sr-only">"Account menu for "</span>
                                        {user.display_name.clone()}
                                    </summary>
                                    <div class="menu">
                                        <p class="menu-email">{user.email.clone()}</p>
                                        <a href="/profile">"Your profile"</a>
                                        <a href="/security">"Security"</a>
                                        <form method="post" action=SignOut::PATH>
                                            <input type="hidden" name="csrf_token" value=info.csrf_token.clone()/>
                                            <button type="submit" class="link-button">"Sign out"</button>
                                        </form>
                                    </div>
                                </details>
                            </header>
                            <main id="main" tabindex="-1">
                                {user.mfa_due.clone().map(|due| view! {
                                    <div class="notice notice-warning" role="status">
                                        {if user.mfa_overdue {
                                            "Your access requires a second factor. Set one up to continue: ".to_owned()
                                        } else {
                                            format!("Your access requires a second factor. Set one up by {due}: ")
                                        }}
                                        <a href="/security">"go to Security"</a>"."
                                    </div>
                                })}
                                {
                                    // Reactive on the path: in-app navigation hides a notice meant for another page.
                                    let flash = info.flash.clone();
                                    let location = use_location();
                                    move || {
                                        let flash = flash.clone().for_path(&location.pathname.get());
                                        view! { <FlashNotice flash/> }
                                    }
                                }
                                <Outlet/>
                            </main>
                        }.into_any(),
                        None => view! {
                            <main id="main" class="narrow">
                                <h1>"Please sign in"</h1>
                                <p><a href="/login">"Sign in to continue"</a></p>
                            </main>
                        }.into_any(),
                    },
                    Err(error) => view! { <main id="main"><ErrorNotice error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}
