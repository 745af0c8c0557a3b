//! First-run setup: the organisation and its first administrator.

use crate::api::auth::{get_setup_status, CompleteSetup};
use crate::ui::components::{loading, CsrfField, Field, FormError};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Reached through the one-time link `castellan serve` prints while no administrator exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let status = Resource::new(token, get_setup_status);
    view! {
        <Title text="Set up Castellan"/>
        <main id="main" class="auth-page">
            <div class="auth-card auth-card-wide">
                <h1>"Set up Castellan"</h1>
                <Suspense fallback=loading>
                    {move || Suspend::new(async move {
                        let (info, valid) = (session.await, status.await);
                        let (Ok(info), Ok(valid)) = (info, valid) else {
                            return view! { <FormError message=Some("Setup could not be loaded.".to_owned())/> }.into_any();
                        };
                        if !valid {
                            return view! {
                                <p>"This setup link has expired or was already used."</p>
                                <p>"If no administrator exists yet, restart "<code>"castellan serve"</code>
                                   " for a new link, or run "<code>"castellan admin create"</code>"."</p>
                                <p><a href="/login">"Go to sign in"</a></p>
                            }.into_any();
                        }
                        let f = crate::ui::page_flash(&info);
                        let v = |name: &str| f.value("setup", name).unwrap_or_default();
                        let e = |name: &str| f.field_error("setup", name);
                        view! {
                            <p>"Create your organisation and its first administrator. This link works once."</p>
                            <FormError message=f.form_error("setup").or_else(|| e("token"))/>
                            <form method="post" action=CompleteSetup::PATH class="stack" novalidate>
                                <CsrfField token=info.csrf_token.clone()/>
                                <input type="hidden" name="token" value=token()/>
                                <fieldset>
                                    <legend>"Organisation"</legend>
                                    <Field label="Name" name="form[org_name]" id="org_name" required=true value=v("org_name") error=e("org_name") maxlength=Some(120)/>
                                    <Field label="Short name" name="form[org_slug]" id="org_slug" required=true value=v("org_slug") error=e("org_slug")
                                        hint=Some("Lower-case letters, digits and dashes; people type it when they sign in.") maxlength=Some(40)/>
                                </fieldset>
                                <fieldset>
                                    <legend>"Administrator"</legend>
                                    <Field label="Your name" name="form[display_name]" id="display_name" required=true value=v("display_name") error=e("display_name") autocomplete=Some("name") maxlength=Some(120)/>
                                    <Field label="Email" name="form[email]" id="email" kind="email" required=true value=v("email") error=e("email") autocomplete=Some("email") maxlength=Some(254)/>
                                    <Field label="Password" name="password" id="password" kind="password" required=true error=e("password")
                                        hint=Some("At least 12 characters. A passphrase of several words is easiest to remember.") autocomplete=Some("new-password")/>
                                    <Field label="Repeat password" name="confirm" id="confirm" kind="password" required=true error=e("confirm") autocomplete=Some("new-password")/>
                                </fieldset>
                                <button type="submit" class="button button-primary">"Create organisation"</button>
                            </form>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </main>
    }
}
