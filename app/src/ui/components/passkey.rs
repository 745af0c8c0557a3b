//! The two passkey controls: adding one (security page) and using one (second step of sign-in,
//! step-up). WebAuthn lives in the browser, so both need JavaScript: they render disabled and
//! turn on once the page is hydrated, and say so to people without it.

use crate::api::passkey::{
    begin_passkey_check, begin_passkey_registration, finish_passkey_check,
    finish_passkey_registration,
};
use crate::domain::AppError;
use leptos::prelude::*;

/// The browser side: `navigator.credentials`, with webauthn-rs-proto's conversions between
/// the server's JSON and the browser's objects.
#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use webauthn_rs_proto::{
        CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
        RequestChallengeResponse,
    };

    fn credentials() -> Result<web_sys::CredentialsContainer, String> {
        web_sys::window()
            .map(|w| w.navigator().credentials())
            .ok_or_else(|| "This browser cannot use passkeys.".to_owned())
    }

    /// A message for a refusal from the browser or the authenticator.
    fn refused(error: JsValue) -> String {
        let name = js_sys::Reflect::get(&error, &JsValue::from_str("name"))
            .ok()
            .and_then(|n| n.as_string())
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" => "The passkey prompt was cancelled or timed out. Try again.".into(),
            "InvalidStateError" => "This authenticator already holds a passkey for you.".into(),
            "SecurityError" => {
                "Passkeys need the console's own address (a domain name, https or localhost)."
                    .into()
            }
            _ => "The browser could not use a passkey here.".into(),
        }
    }

    async fn ask(
        promise: Result<js_sys::Promise, JsValue>,
    ) -> Result<web_sys::PublicKeyCredential, String> {
        let answer = JsFuture::from(promise.map_err(refused)?)
            .await
            .map_err(refused)?;
        answer
            .dyn_into::<web_sys::PublicKeyCredential>()
            .map_err(|_| "The browser gave no passkey.".to_owned())
    }

    /// Makes a passkey with the server's creation options; returns the answer as JSON.
    pub async fn create(options: &str) -> Result<String, String> {
        let options: CreationChallengeResponse =
            serde_json::from_str(options).map_err(|e| e.to_string())?;
        let options: web_sys::CredentialCreationOptions = options.into();
        let credential = ask(credentials()?.create_with_options(&options)).await?;
        serde_json::to_string(&RegisterPublicKeyCredential::from(credential))
            .map_err(|e| e.to_string())
    }

    /// Signs the server's challenge with a passkey; returns the answer as JSON.
    pub async fn get(options: &str) -> Result<String, String> {
        let options: RequestChallengeResponse =
            serde_json::from_str(options).map_err(|e| e.to_string())?;
        let options: web_sys::CredentialRequestOptions = options.into();
        let credential = ask(credentials()?.get_with_options(&options)).await?;
        serde_json::to_string(&PublicKeyCredential::from(credential)).map_err(|e| e.to_string())
    }

    /// Opens `to` as a new page, so that the server's notice and new session show.
    pub fn open(to: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(to);
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    pub async fn create(_: &str) -> Result<String, String> {
        Err("Passkeys need JavaScript.".into())
    }
    pub async fn get(_: &str) -> Result<String, String> {
        Err("Passkeys need JavaScript.".into())
    }
    pub fn open(_: &str) {}
}

fn message(error: AppError) -> String {
    match &error {
        AppError::Validation(fields) => fields
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| error.to_string()),
        _ => error.to_string(),
    }
}

/// Runs a ceremony in the background: on success opens the page it names, on failure shows
/// why and lets the person try again.
fn run_ceremony(
    busy: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    work: impl std::future::Future<Output = Result<String, String>> + 'static,
) {
    busy.set(true);
    error.set(None);
    leptos::task::spawn_local(async move {
        match work.await {
            Ok(to) => browser::open(&to),
            Err(text) => {
                error.set(Some(text));
                busy.set(false);
            }
        }
    });
}

/// True once the page runs its script (effects run only in the browser).
fn hydrated() -> RwSignal<bool> {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    ready
}

/// The "add a passkey" form of the security page.
#[component]
pub fn PasskeyRegister(csrf: String) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let csrf = StoredValue::new(csrf);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let csrf = csrf.get_value();
        run_ceremony(busy, error, async move {
            let options = begin_passkey_registration(csrf.clone(), name.get_untracked())
                .await
                .map_err(message)?;
            let credential = browser::create(&options).await?;
            finish_passkey_registration(csrf, credential)
                .await
                .map_err(message)
        });
    };
    view! {
        <form class="stack" on:submit=add novalidate aria-describedby="passkey-needs-js">
            <div class="field" class:field-invalid=move || error.get().is_some()>
                <label for="passkey-name">"Name for the new passkey"</label>
                <p class="hint" id="passkey-name-hint">"Say where it lives, such as “Work laptop” or “Phone”."</p>
                <input id="passkey-name" name="name" type="text" maxlength="60" required autocomplete="off"
                    aria-describedby="passkey-name-hint passkey-error"
                    aria-invalid=move || error.get().is_some().then_some("true")
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <div role="alert">{move || error.get().map(|e| view! { <p class="field-error" id="passkey-error">{e}</p> })}</div>
            </div>
            <p class="hint" id="passkey-needs-js" hidden=move || ready.get()>
                "Adding a passkey needs JavaScript: the browser talks to your authenticator."
            </p>
            <div class="actions">
                <button type="submit" class="button button-primary" id="add-passkey"
                    disabled=move || !ready.get() || busy.get()>
                    {move || if busy.get() { "Waiting for your authenticator…" } else { "Add a passkey" }}
                </button>
            </div>
        </form>
    }
}

/// "Use a passkey": the second step of sign-in or a step-up, then the page the server names.
#[component]
pub fn PasskeyCheck(csrf: String, #[prop(into)] back: String) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ready = hydrated();
    let csrf = StoredValue::new(csrf);
    let back = StoredValue::new(back);
    let check = move |_| {
        if busy.get_untracked() {
            return;
        }
        let (csrf, back) = (csrf.get_value(), back.get_value());
        run_ceremony(busy, error, async move {
            let options = begin_passkey_check(csrf.clone()).await.map_err(message)?;
            let credential = browser::get(&options).await?;
            finish_passkey_check(csrf, credential, back)
                .await
                .map_err(message)
        });
    };
    view! {
        <div class="passkey-check stack">
            <div role="alert">{move || error.get().map(|e| view! { <p class="field-error" id="passkey-check-error">{e}</p> })}</div>
            <button type="button" class="button button-primary" id="use-passkey" on:click=check
                disabled=move || !ready.get() || busy.get()>
                {move || if busy.get() { "Waiting for your passkey…" } else { "Use a passkey" }}
            </button>
            <p class="hint" hidden=move || ready.get()>"Passkeys need JavaScript; use a code instead."</p>
        </div>
    }
}
