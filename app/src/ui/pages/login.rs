//! Sign-in.

use crate::api::auth::SignIn;
use crate::ui::components::{loading, CsrfField, Field, FormError};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sign-in page. A plain form post: works the same with JavaScript on or off.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    view! {
        <Title text="Sign in"/>
        <main id="main" class="auth-page">
            <div class="auth-card">
                <p class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"◆"</span>" Castellan"</p>
                <h1>"Sign in"</h1>
                <Suspense fallback=loading>
                    {move || Suspend::new(async move {
                        let info = match session.await {
                            Ok(info) => info,
                            Err(error) => return view! { <FormError message=Some(error.to_string())/> }.into_any(),
                        };
                        let flash = crate::ui::page_flash(&info);
                        let signed_out = query.read().get("signed_out").is_some();
                        let org_value = flash.value("sign_in", "org").or_else(|| info.org_choices.first().map(|c| c.0.clone())).unwrap_or_default();
                        let many_orgs = info.org_choices.is_empty();
                        view! {
                            {signed_out.then(|| view! { <div class="notice notice-success" role="status">"You are signed out."</div> })}
                            {info.needs_setup.then(|| view! {
                                <div class="notice" role="status">
                                    "No administrator exists yet. Use the setup link printed by "
                                    <code>"castellan serve"</code>", or run "<code>"castellan admin create"</code>"."
                                </div>
                            })}
                            <FormError message=flash.field_error("sign_in", "form").or_else(|| flash.form_error("sign_in"))/>
                            <form method="post" action=SignIn::PATH class="stack" novalidate>
                                <CsrfField token=info.csrf_token.clone()/>
                                {if many_orgs {
                                    view! {
                                        <Field label="Organisation" name="org" id="org" value=org_value required=true
                                            hint=Some("The short name of your organisation, e.g. northwind") autocomplete=Some("organization")/>
                                    }.into_any()
                                } else {
                                    view! { <input type="hidden" name="org" value=org_value/> }.into_any()
                                }}
                                <Field label="Email" name="email" id="email" kind="email" required=true autocomplete=Some("username")
                                    value=flash.value("sign_in", "email").unwrap_or_default() maxlength=Some(254)/>
                                <Field label="Password" name="password" id="password" kind="password" required=true
                                    autocomplete=Some("current-password") maxlength=Some(256)/>
                                <button type="submit" class="button button-primary">"Sign in"</button>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </main>
    }
}
