//! Small building blocks shared by the pages.

use crate::domain::flash::Flash;
use crate::domain::people::UserStatus;
use crate::domain::AppError;
use leptos::prelude::*;

pub mod charts;
pub mod passkey;

/// A one-shot notice from the previous request, announced politely to screen readers.
#[component]
pub fn FlashNotice(flash: Flash) -> impl IntoView {
    flash.notice.map(|notice| {
        view! {
            <div class="notice notice-success" role="status">
                {notice}
            </div>
        }
    })
}

/// An error from a server function, in words a person at work can act on.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let (title, body) = match &error {
        AppError::Unauthenticated => (
            "Your session has ended",
            "Sign in again to continue.".to_owned(),
        ),
        AppError::Forbidden => (
            "You do not have access to this page",
            "Ask an administrator if you need it for your work.".to_owned(),
        ),
        AppError::MfaRequired => (
            "A second factor is required",
            "Your access requires one. Set up an authenticator app on your Security page to continue.".to_owned(),
        ),
        AppError::NotFound => (
            "Not found",
            "It may have been removed, or the link is wrong.".to_owned(),
        ),
        other => ("Something went wrong", other.to_string()),
    };
    let sign_in = matches!(error, AppError::Unauthenticated);
    let security = matches!(error, AppError::MfaRequired);
    view! {
        <div class="notice notice-error" role="alert">
            <h2>{title}</h2>
            <p>{body}</p>
            {sign_in.then(|| view! { <p><a href="/login">"Sign in"</a></p> })}
            {security.then(|| view! { <p><a href="/security">"Go to Security"</a></p> })}
        </div>
    }
}

/// The CSRF token every state-changing form carries.
#[component]
pub fn CsrfField(token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf_token" value=token/> }
}

/// A labelled text input with its hint and error wired up for assistive technology.
#[component]
pub fn Field(
    /// Visible label.
    label: &'static str,
    /// Form field name.
    name: &'static str,
    /// Element id (also used for the hint and error ids).
    id: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = None)] error: Option<String>,
    #[prop(default = None)] hint: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(default = None)] autocomplete: Option<&'static str>,
    #[prop(default = None)] maxlength: Option<u32>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = [
        hint.map(|_| hint_id.clone()),
        error.as_ref().map(|_| error_id.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let invalid = error.is_some();
    view! {
        <div class="field" class:field-invalid=invalid>
            <label for=id>{label}{required.then_some(view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                type=kind
                value=value
                required=required
                autocomplete=autocomplete
                maxlength=maxlength
                aria-invalid=invalid.then_some("true")
                aria-describedby=(!described.is_empty()).then_some(described)
            />
            {error.map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A labelled select.
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    id: &'static str,
    /// (value, label) pairs.
    options: Vec<(String, String)>,
    #[prop(optional, into)] value: String,
    #[prop(default = None)] error: Option<String>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    view! {
        <div class="field" class:field-invalid=invalid>
            <label for=id>{label}</label>
            <select id=id name=name aria-invalid=invalid.then_some("true") aria-describedby=invalid.then_some(error_id.clone())>
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        let selected = v == value;
                        view! { <option value=v selected=selected>{l}</option> }
                    })
                    .collect_view()}
            </select>
            {error.map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A form-level error summary (for errors not tied to one field).
#[component]
pub fn FormError(message: Option<String>) -> impl IntoView {
    message.map(|m| view! { <div class="notice notice-error" role="alert">{m}</div> })
}

/// A person's status as a coloured badge with text (colour is never the only signal).
#[component]
pub fn StatusBadge(status: UserStatus) -> impl IntoView {
    let class = format!("badge badge-{}", status.code());
    view! { <span class=class>{status.label()}</span> }
}

/// The standard loading placeholder.
pub fn loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
}

/// Text for `<Title>`. leptos_meta 0.8.7 writes the title into the server-rendered `<title>`
/// without escaping it, so text people typed is escaped here on the server; in the browser the
/// title is set as plain text and needs no escaping.
pub fn title_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        text.to_owned()
    }
}

/// Links to the audit history of a record (and, for a person, of what they did), for people
/// who may read the audit log.
pub fn history_links(
    info: &crate::domain::flash::SessionInfo,
    kind: &str,
    id: i64,
    actor: Option<&str>,
) -> impl IntoView {
    let may = info
        .user
        .as_ref()
        .is_some_and(|u| u.may(crate::domain::permission::Permission::AuditEventView));
    may.then(|| {
        let about = format!("/audit?target_type={kind}&target_id={id}");
        let by =
            actor.map(|email| format!("/audit?actor={}", crate::domain::audit::urlencode(email)));
        view! {
            <span class="history-links">" · "<a href=about>"History"</a>
                {by.map(|href| view! { " · "<a href=href>"Their actions"</a> })}
            </span>
        }
    })
}
