//! The signed-in person's own profile.

use crate::ui::components::loading;
use crate::ui::use_session;
use leptos::prelude::*;
use leptos_meta::Title;

/// Who you are signed in as.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="Your profile"/>
        <h1>"Your profile"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                session.await.ok().and_then(|s| s.user).map(|user| view! {
                    <dl class="details">
                        <dt>"Name"</dt><dd>{user.display_name}</dd>
                        <dt>"Email"</dt><dd>{user.email}</dd>
                        <dt>"Organisation"</dt><dd>{user.org_name}" ("{user.org_slug}")"</dd>
                    </dl>
                })
            })}
        </Suspense>
        <h2>"Your access"</h2>
        <p class="hint">"Every permission you hold, and the path that gives it to you."</p>
        <crate::ui::pages::access::MyAccess/>
    }
}
