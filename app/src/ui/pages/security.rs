//! Second factors: the second step of sign-in, every person's security page, and the factors
//! section of a person's page for administrators.

use crate::api::mfa::{
    get_mfa_settings, get_pending_mfa, get_person_mfa, get_security, BeginTotp, ConfirmTotp,
    RegenerateRecoveryCodes, RemoveTotp, ResetPersonMfa, UpdateMfaSettings, VerifyMfa,
    VerifyStepUp,
};
use crate::api::passkey::RemovePasskey;
use crate::domain::permission::Permission;
use crate::ui::components::passkey::{PasskeyCheck, PasskeyRegister};
use crate::ui::components::{loading, CsrfField, ErrorNotice, Field, FormError, SelectField};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

/// The second step of sign-in.
#[component]
pub fn MfaLoginPage() -> impl IntoView {
    let session = use_session();
    let pending = Resource::new(|| (), |_| get_pending_mfa());
    view! {
        <Title text="Second step"/>
        <main id="main" class="auth-page">
            <div class="auth-card">
                <p class="brand auth-brand"><span class="brand-mark" aria-hidden="true">"◆"</span>" Castellan"</p>
                <h1>"Second step"</h1>
                <Suspense fallback=loading>
                    {move || Suspend::new(async move {
                        let (info, pending) = (session.await, pending.await);
                        let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                        let Ok(Some(pending)) = pending else {
                            return view! { <p>"Sign in with your password first. "<a href="/login">"Go to sign-in"</a></p> }.into_any();
                        };
                        let flash = crate::ui::page_flash(&info);
                        view! {
                            <p>"Signing in as "<strong>{pending.email}</strong>"."</p>
                            <FormError message=flash.form_error("mfa")/>
                            {pending.has_passkey.then(|| view! {
                                <PasskeyCheck csrf=info.csrf_token.clone() back="/"/>
                                <p class="or" aria-hidden="true">"or"</p>
                            })}
                            <form method="post" action=VerifyMfa::PATH class="stack" novalidate>
                                <CsrfField token=info.csrf_token.clone()/>
                                <Field label="Code" name="code" id="code" required=true autocomplete=Some("one-time-code") maxlength=Some(20)
                                    hint=Some("The 6 digits your authenticator app shows now, or one of your recovery codes.")
                                    error=flash.field_error("mfa", "code")/>
                                <button type="submit" class="button button-primary">"Verify"</button>
                            </form>
                            <p class="hint"><a href="/login">"Start over"</a></p>
                        }.into_any()
                    })}
                </Suspense>
            </div>
        </main>
    }
}

/// Every person's security page: set up an authenticator app, recovery codes, remove.
#[component]
pub fn SecurityPage() -> impl IntoView {
    let session = use_session();
    let status = Resource::new(|| (), |_| get_security());
    view! {
        <Title text="Security"/>
        <h1>"Security"</h1>
        <p class="lead">"A second factor keeps your account safe even if your password leaks."</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, status) = (session.await, status.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let status = match status { Ok(s) => s, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                let csrf = info.csrf_token.clone();
                // New recovery codes arrive once, in the flash of the request that made them.
                let codes: Vec<String> = flash
                    .value("recovery_codes", "codes")
                    .map(|c| c.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                view! {
                    {(!codes.is_empty()).then(|| view! {
                        <section class="notice notice-warning" aria-labelledby="codes-heading">
                            <h2 id="codes-heading">"Your recovery codes"</h2>
                            <p>"Each works once, if you lose your app or passkey. They are shown only now: save or print them."</p>
                            <ul class="codes" id="recovery-codes">{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
                        </section>
                    })}
                    <section class="form-card" aria-labelledby="app-heading">
                        <h2 id="app-heading">"Authenticator app"</h2>
                        <FormError message=flash.form_error("totp")/>
                        {match (status.totp_enrolled_at.clone(), status.setup.clone()) {
                            (Some(since), _) => view! {
                                <p><span class="badge badge-active">"On"</span>" since "{since}
                                    {status.totp_last_used_at.clone().map(|t| format!(", last used {t}"))}"."</p>
                            }.into_any(),
                            (None, Some(setup)) => view! {
                                <p>"1. Scan this code with your authenticator app (or type the key below)."</p>
                                <div class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=setup.qr_svg></div>
                                <p>"Key: "<code id="totp-secret">{setup.secret}</code></p>
                                <p>"2. Type the 6-digit code the app shows."</p>
                                <form method="post" action=ConfirmTotp::PATH class="stack" novalidate>
                                    <CsrfField token=csrf.clone()/>
                                    <Field label="Code from the app" name="code" id="totp-code" required=true autocomplete=Some("one-time-code")
                                        maxlength=Some(6) error=flash.field_error("totp", "code")/>
                                    <div class="actions"><button type="submit" class="button button-primary">"Turn on"</button></div>
                                </form>
                            }.into_any(),
                            (None, None) => view! {
                                <p>"Not set up. You will be asked for a code from the app after your password."</p>
                                <form method="post" action=BeginTotp::PATH>
                                    <CsrfField token=csrf.clone()/>
                                    <button type="submit" class="button button-primary">"Set up an authenticator app"</button>
                                </form>
                            }.into_any(),
                        }}
                    </section>
                    <section class="form-card" aria-labelledby="passkeys-heading">
                        <h2 id="passkeys-heading">"Passkeys"</h2>
                        <p>"A passkey signs you in with your device's screen lock or a security key. Nothing to type, nothing to phish."</p>
                        {if status.passkeys.is_empty() {
                            view! { <p class="empty">"No passkeys yet."</p> }.into_any()
                        } else {
                            view! {
                                <table class="table" id="passkeys">
                                    <caption class="sr-only">"Your passkeys"</caption>
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Added"</th><th scope="col">"Last used"</th></tr></thead>
                                    <tbody>
                                        {status.passkeys.iter().map(|p| view! {
                                            <tr><td>{p.name.clone()}</td><td>{p.created_at.clone()}</td>
                                                <td>{p.last_used_at.clone().unwrap_or_else(|| "Never".into())}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                        {match status.passkeys_unavailable.clone() {
                            Some(why) => view! { <p class="notice notice-warning">{why}</p> }.into_any(),
                            None => view! { <PasskeyRegister csrf=csrf.clone()/> }.into_any(),
                        }}
                    </section>
                    {(!status.passkeys.is_empty()).then(|| {
                        let options: Vec<(String, String)> = status.passkeys.iter().map(|p| (p.id.to_string(), p.name.clone())).collect();
                        view! {
                            <section class="form-card" aria-labelledby="remove-passkey-heading">
                                <h2 id="remove-passkey-heading">"Remove a passkey"</h2>
                                <FormError message=flash.form_error("remove_passkey")/>
                                <form method="post" action=RemovePasskey::PATH class="stack" novalidate>
                                    <CsrfField token=csrf.clone()/>
                                    <SelectField label="Passkey" name="passkey" id="remove-passkey" options
                                        value=flash.value("remove_passkey", "passkey").unwrap_or_default()
                                        error=flash.field_error("remove_passkey", "passkey")/>
                                    <Field label="Your password" name="password" id="remove-passkey-password" kind="password" required=true
                                        autocomplete=Some("current-password") hint=Some("Removing a factor needs your password again.")
                                        error=flash.field_error("remove_passkey", "password")/>
                                    <div class="actions"><button type="submit" class="button button-danger">"Remove passkey"</button></div>
                                </form>
                            </section>
                        }
                    })}
                    {status.has_factor().then(|| view! {
                        <section class="form-card" aria-labelledby="recovery-heading">
                            <h2 id="recovery-heading">"Recovery codes"</h2>
                            <FormError message=flash.form_error("recovery")/>
                            <p>{format!("{} of 10 left.", status.recovery_codes_left)}</p>
                            <form method="post" action=RegenerateRecoveryCodes::PATH>
                                <CsrfField token=csrf.clone()/>
                                <button type="submit" class="button">"Make new recovery codes"</button>
                            </form>
                        </section>
                    })}
                    {status.totp_enrolled_at.is_some().then(|| view! {
                        <section class="form-card" aria-labelledby="remove-heading">
                            <h2 id="remove-heading">"Remove the authenticator app"</h2>
                            <FormError message=flash.form_error("remove")/>
                            <form method="post" action=RemoveTotp::PATH class="stack" novalidate>
                                <CsrfField token=csrf.clone()/>
                                <Field label="Your password" name="password" id="remove-password" kind="password" required=true
                                    autocomplete=Some("current-password") hint=Some("Removing a factor needs your password again.")
                                    error=flash.field_error("remove", "password")/>
                                <div class="actions"><button type="submit" class="button button-danger">"Remove the app"</button></div>
                            </form>
                        </section>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// A person's second factors on their page (never secrets), with a reset for administrators.
#[component]
pub fn PersonMfa(user_id: Signal<i64>) -> impl IntoView {
    let session = use_session();
    let status = Resource::new(move || user_id.get(), get_person_mfa);
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, status) = (session.await, status.await);
                let (Ok(info), Ok(status)) = (info, status) else { return ().into_any() };
                let may_reset = info.user.as_ref().is_some_and(|u| u.may(Permission::UserManage));
                let flash = crate::ui::page_flash(&info);
                let enrolled = status.has_factor();
                view! {
                    <section aria-labelledby="mfa-heading">
                        <h2 id="mfa-heading">"Second factors"</h2>
                        <FormError message=flash.form_error("mfa_reset")/>
                        <dl class="details">
                            <dt>"Authenticator app"</dt>
                            <dd>{status.totp_enrolled_at.clone().map(|s| format!("On since {s}")).unwrap_or_else(|| "Not set up".into())}</dd>
                            <dt>"Passkeys"</dt>
                            <dd>{if status.passkeys.is_empty() { "None".to_owned() } else {
                                status.passkeys.iter().map(|p| format!("{} (added {}, last used {})", p.name, p.created_at,
                                    p.last_used_at.clone().unwrap_or_else(|| "never".into()))).collect::<Vec<_>>().join("; ")
                            }}</dd>
                            <dt>"Recovery codes left"</dt><dd>{status.recovery_codes_left}</dd>
                            {status.locked_until.clone().map(|u| view! { <dt>"Second step locked until"</dt><dd>{u}</dd> })}
                        </dl>
                        {(may_reset && enrolled).then(|| view! {
                            <form method="post" action=ResetPersonMfa::PATH>
                                <CsrfField token=info.csrf_token.clone()/>
                                <input type="hidden" name="id" value=user_id.get_untracked().to_string()/>
                                <button type="submit" class="button button-danger">"Reset second factors"</button>
                            </form>
                        })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The organisation's settings: who must use a second factor, and adoption so far.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let session = use_session();
    let settings = Resource::new(|| (), |_| get_mfa_settings());
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, settings) = (session.await, settings.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let settings = match settings { Ok(s) => s, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                let required = match flash.value("settings", "required_for_all") {
                    Some(v) => !v.is_empty(),
                    None => settings.required_for_all,
                };
                let days = flash.value("settings", "grace_days").unwrap_or_else(|| settings.grace_days.to_string());
                let error = flash.field_error("settings", "grace_days");
                view! {
                    <section class="form-card" aria-labelledby="mfa-settings-heading">
                        <h2 id="mfa-settings-heading">"Second factors"</h2>
                        <p>{format!("{} of {} active people have an authenticator app.", settings.enrolled, settings.people)}</p>
                        <p class="hint">"Roles can also require a second factor of the people who hold them (the Administrator role always does)."</p>
                        <FormError message=flash.form_error("settings")/>
                        <form method="post" action=UpdateMfaSettings::PATH class="stack" novalidate>
                            <CsrfField token=info.csrf_token.clone()/>
                            <div class="field">
                                <label for="required-for-all">
                                    <input type="checkbox" id="required-for-all" name="form[required_for_all]" value="on"
                                        checked=required disabled=!settings.editable/>
                                    " Everyone must use a second factor"
                                </label>
                            </div>
                            <div class="field" class:field-invalid=error.is_some()>
                                <label for="grace-days">"Grace period (days)"</label>
                                <p class="hint" id="grace-days-hint">"From when a person is added; after it, people without a second factor can only set one up."</p>
                                <input id="grace-days" name="form[grace_days]" inputmode="numeric" value=days disabled=!settings.editable
                                    aria-describedby="grace-days-hint" aria-invalid=error.is_some().then_some("true")/>
                                {error.clone().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                            </div>
                            {settings.editable.then(|| view! { <div class="actions"><button type="submit" class="button button-primary">"Save settings"</button></div> })}
                        </form>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Step-up: confirm the second factor before a sensitive action, then go back to it.
#[component]
pub fn StepUpPage() -> impl IntoView {
    let session = use_session();
    let query = leptos_router::hooks::use_query_map();
    let status = Resource::new(|| (), |_| get_security());
    view! {
        <Title text="Confirm it is you"/>
        <h1>"Confirm it is you"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, status) = (session.await, status.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let has_passkey = status.is_ok_and(|s| !s.passkeys.is_empty());
                let flash = crate::ui::page_flash(&info);
                let back = crate::api::access::safe_back(&query.read_untracked().get("back").unwrap_or_default(), "/");
                view! {
                    <p>"This action changes who can do what, so it needs your second factor again."</p>
                    <FormError message=flash.form_error("step_up")/>
                    {has_passkey.then(|| view! {
                        <PasskeyCheck csrf=info.csrf_token.clone() back=back.clone()/>
                        <p class="or" aria-hidden="true">"or"</p>
                    })}
                    <form method="post" action=VerifyStepUp::PATH class="stack form-card" novalidate>
                        <CsrfField token=info.csrf_token.clone()/>
                        <input type="hidden" name="back" value=back.clone()/>
                        <Field label="Code" name="code" id="step-up-code" required=true autocomplete=Some("one-time-code") maxlength=Some(20)
                            hint=Some("The 6 digits your authenticator app shows now, or a recovery code.")
                            error=flash.field_error("step_up", "code")/>
                        <div class="actions">
                            <button type="submit" class="button button-primary">"Confirm"</button>
                            <a class="button" href=back>"Cancel"</a>
                        </div>
                    </form>
                }.into_any()
            })}
        </Suspense>
    }
}
