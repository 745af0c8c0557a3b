//! The page for unknown addresses.

use leptos::prelude::*;

/// Shown for any address the console does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main id="main" class="narrow">
            <h1>"Page not found"</h1>
            <p>"The address may be mistyped, or the page has moved."</p>
            <p><a href="/">"Go to the dashboard"</a></p>
        </main>
    }
}
