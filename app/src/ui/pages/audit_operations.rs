//! `/audit/settings`: how long events stay in the database, business hours for the after-hours
//! alert, and the SIEM webhooks that receive the log.

use crate::api::audit_operations::{
    get_audit_operations, CreateWebhook, DeleteWebhook, SetWebhookEnabled, UpdateAuditSettings,
};
use crate::domain::audit::WebhookRow;
use crate::ui::components::{loading, CsrfField, ErrorNotice, Field, FormError, SelectField};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// Retention, business hours and SIEM webhooks.
#[component]
pub fn AuditSettingsPage() -> impl IntoView {
    let session = use_session();
    let operations = Resource::new(|| (), |_| get_audit_operations());
    view! {
        <Title text="Audit settings"/>
        <p class="breadcrumb"><a href="/audit">"Audit log"</a>" / Settings"</p>
        <h1>"Audit settings"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, ops) = (session.await, operations.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let ops = match ops { Ok(o) => o, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                let csrf = info.csrf_token.clone();
                let secret = flash.value("webhook_secret", "secret");
                let retention = flash.value("audit_settings", "retention_days")
                    .unwrap_or_else(|| ops.retention_days.map(|d| d.to_string()).unwrap_or_default());
                let start = flash.value("audit_settings", "hours_start").unwrap_or_else(|| ops.business_hours_start.to_string());
                let end = flash.value("audit_settings", "hours_end").unwrap_or_else(|| ops.business_hours_end.to_string());
                let events = flash.value("webhook", "events").unwrap_or_else(|| "all".into());
                view! {
                    {secret.map(|s| view! {
                        <section class="notice notice-warning" aria-labelledby="secret-heading">
                            <h2 id="secret-heading">"Signing secret"</h2>
                            <p>"Your receiver checks each delivery with it: the header "<code>"X-Castellan-Signature: t=…,v1=…"</code>" holds the HMAC-SHA256 of "<code>"t"</code>", a dot and the body. It is shown only now."</p>
                            <p><code id="webhook-secret">{s}</code></p>
                        </section>
                    })}
                    <section class="form-card" aria-labelledby="retention-heading">
                        <h2 id="retention-heading">"Retention and business hours"</h2>
                        <FormError message=flash.form_error("audit_settings")/>
                        <form method="post" action=UpdateAuditSettings::PATH class="stack" novalidate>
                            <CsrfField token=csrf.clone()/>
                            <Field label="Keep events in the database for (days)" name="form[retention_days]" id="retention-days" value=retention
                                hint=Some("30 to 3,650 days; empty keeps every event. Older events move to compressed archive files, and verification continues across them. Events a webhook has not received yet are kept.")
                                error=flash.field_error("audit_settings", "retention_days") maxlength=Some(5)/>
                            <fieldset class="field-row">
                                <legend>"Business hours (UTC)"</legend>
                                <Field label="From hour" name="form[hours_start]" id="hours-start" value=start maxlength=Some(2)/>
                                <Field label="To hour" name="form[hours_end]" id="hours-end" value=end maxlength=Some(2)
                                    error=flash.field_error("audit_settings", "business_hours")/>
                            </fieldset>
                            <p class="hint">"Admin changes outside these hours raise an alert."</p>
                            <div class="actions"><button type="submit" class="button button-primary">"Save settings"</button></div>
                        </form>
                    </section>
                    <section aria-labelledby="sinks-heading">
                        <h2 id="sinks-heading">"SIEM webhooks"</h2>
                        <p>"Events are posted in order as JSON batches, each signed with HMAC-SHA256, and retried with growing waits until the receiver accepts them: a receiver that is down loses nothing. Each event carries a unique "<code>"id"</code>" to deduplicate by."</p>
                        <FormError message=flash.form_error("sinks")/>
                        {if ops.sinks.is_empty() {
                            view! { <p class="empty">"No webhooks yet. Add your SIEM's HTTPS endpoint below."</p> }.into_any()
                        } else {
                            view! { <SinksTable sinks=ops.sinks.clone() csrf=csrf.clone()/> }.into_any()
                        }}
                    </section>
                    <section class="form-card" aria-labelledby="new-sink-heading">
                        <h2 id="new-sink-heading">"Add a webhook"</h2>
                        <FormError message=flash.form_error("webhook")/>
                        <form method="post" action=CreateWebhook::PATH class="stack" novalidate>
                            <CsrfField token=csrf.clone()/>
                            <Field label="Name" name="form[name]" id="sink-name" required=true maxlength=Some(100)
                                value=flash.value("webhook", "name").unwrap_or_default() error=flash.field_error("webhook", "name")/>
                            <Field label="Receiver address" name="form[url]" id="sink-url" required=true maxlength=Some(500) kind="url"
                                hint=Some("https://… of your SIEM's HTTP collector.")
                                value=flash.value("webhook", "url").unwrap_or_default() error=flash.field_error("webhook", "url")/>
                            <SelectField label="Send" name="form[events]" id="sink-events" value=events
                                options=vec![("all".into(), "Every event".into()), ("alerts".into(), "Alerts only".into())]
                                error=flash.field_error("webhook", "events")/>
                            <div class="field">
                                <label for="sink-from-start">
                                    <input type="checkbox" id="sink-from-start" name="form[from_start]" value="on"
                                        checked=flash.value("webhook", "from_start").is_some_and(|v| !v.is_empty())/>
                                    " Also send the events already in the database"
                                </label>
                            </div>
                            <div class="actions"><button type="submit" class="button button-primary">"Add webhook"</button></div>
                        </form>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn SinksTable(sinks: Vec<WebhookRow>, csrf: String) -> impl IntoView {
    view! {
        <table class="table">
            <caption class="sr-only">"SIEM webhooks"</caption>
            <thead><tr>
                <th scope="col">"Name"</th>
                <th scope="col">"Receiver"</th>
                <th scope="col">"Sends"</th>
                <th scope="col">"Status"</th>
                <th scope="col" class="num">"Delivered up to"</th>
                <th scope="col">"Actions"</th>
            </tr></thead>
            <tbody>
                {sinks.into_iter().map(|s| {
                    let status = if !s.enabled {
                        view! { <span class="badge badge-suspended">"Paused"</span> }.into_any()
                    } else if s.failures > 0 {
                        view! {
                            <span class="badge badge-denied">"Failing"</span>
                            <span class="hint">{format!(" {} attempts; {}. Next try {}.", s.failures, s.last_error.clone().unwrap_or_default(), s.next_attempt_at)}</span>
                        }.into_any()
                    } else {
                        view! {
                            <span class="badge badge-active">"Delivering"</span>
                            <span class="hint">{s.last_success_at.clone().map(|t| format!(" last delivery {t}"))}</span>
                        }.into_any()
                    };
                    view! {
                        <tr>
                            <td>{s.name.clone()}</td>
                            <td class="code">{s.url.clone()}</td>
                            <td>{if s.events == "alerts" { "Alerts only" } else { "Every event" }}</td>
                            <td>{status}</td>
                            <td class="num">{format!("#{} ({} behind)", s.delivered_seq, s.behind)}</td>
                            <td class="actions-cell">
                                <form method="post" action=SetWebhookEnabled::PATH class="inline-form">
                                    <CsrfField token=csrf.clone()/>
                                    <input type="hidden" name="id" value=s.id.to_string()/>
                                    <input type="hidden" name="enabled" value=(!s.enabled).to_string()/>
                                    <button type="submit" class="button button-small" aria-label=format!("{} {}", if s.enabled { "Pause" } else { "Resume" }, s.name)>
                                        {if s.enabled { "Pause" } else { "Resume" }}
                                    </button>
                                </form>
                                <a class="button button-small button-danger" href=format!("/audit/webhooks/{}/delete", s.id) aria-label=format!("Delete {}", s.name)>"Delete…"</a>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Confirmation before deleting a webhook (works without JavaScript).
#[component]
pub fn DeleteWebhookPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let operations = Resource::new(|| (), |_| get_audit_operations());
    view! {
        <Title text="Delete webhook"/>
        <p class="breadcrumb"><a href="/audit/settings">"Audit settings"</a>" / Delete webhook"</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, ops) = (session.await, operations.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let ops = match ops { Ok(o) => o, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let id = params.read_untracked().get("id").and_then(|i| i.parse::<i64>().ok());
                let Some(sink) = ops.sinks.into_iter().find(|s| Some(s.id) == id) else {
                    return view! { <ErrorNotice error=crate::domain::AppError::NotFound/> }.into_any();
                };
                let flash = crate::ui::page_flash(&info);
                view! {
                    <h1>{format!("Delete the webhook {}?", sink.name)}</h1>
                    <p>{format!("Castellan stops sending events to {}. Events it has not received yet ({} behind) are not sent. This cannot be undone; pausing keeps its place instead.", sink.url, sink.behind)}</p>
                    <FormError message=flash.form_error("delete")/>
                    <form method="post" action=DeleteWebhook::PATH class="actions">
                        <CsrfField token=info.csrf_token.clone()/>
                        <input type="hidden" name="id" value=sink.id.to_string()/>
                        <button type="submit" class="button button-danger">"Delete webhook"</button>
                        <a class="button" href="/audit/settings">"Cancel"</a>
                    </form>
                }.into_any()
            })}
        </Suspense>
    }
}
