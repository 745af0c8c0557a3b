//! Alerts on unusual activity: open ones first, acknowledge one or all shown, each linked to
//! the event that raised it.

use crate::api::alerts::{list_alerts, AcknowledgeAlerts};
use crate::domain::audit::AlertRow;
use crate::domain::permission::Permission;
use crate::ui::components::{loading, CsrfField, ErrorNotice, FormError};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn severity_badge(severity: &str) -> impl IntoView {
    let class = if severity == "high" {
        "badge badge-failure"
    } else {
        "badge badge-warning"
    };
    view! { <span class=class>{severity.to_owned()}</span> }
}

/// `/alerts`: unusual activity found in the audit log.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("show").as_deref() == Some("all"),
            q.get("before").and_then(|b| b.parse::<i64>().ok()),
        )
    });
    let page = Resource::new(
        move || params.get(),
        |(all, before)| list_alerts(all, before),
    );
    view! {
        <Title text="Alerts"/>
        <div class="page-header">
            <h1>"Alerts"</h1>
            <nav aria-label="Which alerts" class="tabs">
                <a href="/alerts" aria-current=move || (!params.get().0).then_some("page")>"Open"</a>
                <a href="/alerts?show=all" aria-current=move || params.get().0.then_some("page")>"All"</a>
            </nav>
        </div>
        <p class="lead">"Many failed sign-ins, unusually many customer records viewed, admin changes outside business hours, new administrators, and administrators losing their second factor. Each alert is also an audit event, delivered to your SIEM webhooks."</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, page) = (session.await, page.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let page = match page { Ok(p) => p, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let may_manage = info.user.as_ref().is_some_and(|u| u.may(Permission::AuditEventManage));
                let flash = crate::ui::page_flash(&info);
                let all = params.get_untracked().0;
                let open_ids: Vec<String> = page.rows.iter().filter(|r| r.acknowledged.is_none()).map(|r| r.id.to_string()).collect();
                if page.rows.is_empty() {
                    return view! {
                        <p class="empty">{if all { "No alerts have been raised." } else { "No open alerts. Nothing unusual needs your attention." }}</p>
                    }.into_any();
                }
                let csrf = info.csrf_token.clone();
                view! {
                    <p>{format!("{} open.", page.open)}</p>
                    <FormError message=flash.form_error("acknowledge").or_else(|| flash.field_error("acknowledge", "ids"))/>
                    {(may_manage && open_ids.len() > 1).then(|| view! {
                        <form method="post" action=AcknowledgeAlerts::PATH class="bulk-form">
                            <CsrfField token=csrf.clone()/>
                            <input type="hidden" name="ids" value=open_ids.join(",")/>
                            <button type="submit" class="button">{format!("Acknowledge all {} shown", open_ids.len())}</button>
                        </form>
                    })}
                    <table class="table">
                        <caption class="sr-only">"Alerts, newest first"</caption>
                        <thead><tr>
                            <th scope="col">"Raised (UTC)"</th>
                            <th scope="col">"Alert"</th>
                            <th scope="col">"Severity"</th>
                            <th scope="col">"What happened"</th>
                            <th scope="col">"Event"</th>
                            <th scope="col">"Status"</th>
                        </tr></thead>
                        <tbody>
                            {page.rows.into_iter().map(|row| alert_row(row, may_manage, csrf.clone())).collect_view()}
                        </tbody>
                    </table>
                    {page.next_before.map(|b| view! {
                        <p><a class="button" href=format!("/alerts?{}before={b}", if all { "show=all&" } else { "" })>"Older alerts →"</a></p>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

fn alert_row(row: AlertRow, may_manage: bool, csrf: String) -> impl IntoView {
    let status = match row.acknowledged.clone() {
        Some(by) => view! { <span class="muted">"Acknowledged "{by}</span> }.into_any(),
        None if may_manage => view! {
            <form method="post" action=AcknowledgeAlerts::PATH class="inline-form">
                <CsrfField token=csrf/>
                <input type="hidden" name="ids" value=row.id.to_string()/>
                <button type="submit" class="button button-small" aria-label=format!("Acknowledge alert {}: {}", row.id, row.title)>"Acknowledge"</button>
            </form>
        }.into_any(),
        None => view! { <span class="badge badge-warning">"Open"</span> }.into_any(),
    };
    view! {
        <tr>
            <td class="nowrap">{row.raised_at.clone()}</td>
            <td><strong>{row.title.clone()}</strong><br/><span class="muted">{row.subject.clone()}</span></td>
            <td>{severity_badge(&row.severity)}</td>
            <td>{row.summary.clone()}</td>
            <td><a href=format!("/audit/{}", row.event_seq) aria-label=format!("Event {} that raised it", row.event_seq)>{format!("#{}", row.event_seq)}</a></td>
            <td>{status}</td>
        </tr>
    }
}
