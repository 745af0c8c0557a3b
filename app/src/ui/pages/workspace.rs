//! The CX workspace: tickets, feedback and customers, showing only what the caller's access
//! allows, with the total, filters and pagination done in the database.

use crate::api::workspace::{get_ticket, list_customers, list_feedback, list_tickets};
use crate::domain::people::REGIONS;
use crate::domain::workspace::{RecordPage, RecordQuery, TICKET_STATUSES};
use crate::ui::components::{loading, title_text, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn record_query() -> Memo<RecordQuery> {
    let map = use_query_map();
    Memo::new(move |_| {
        let map = map.read();
        RecordQuery {
            region: map.get("region").filter(|r| !r.is_empty()),
            status: map.get("status").filter(|s| !s.is_empty()),
            cursor: map.get("cursor").and_then(|c| c.parse().ok()),
            limit: 0,
        }
    })
}

fn href(base: &str, q: &RecordQuery, cursor: Option<i64>) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &q.region {
        if REGIONS.contains(&r.as_str()) {
            parts.push(format!("region={r}"));
        }
    }
    if let Some(s) = &q.status {
        if TICKET_STATUSES.contains(&s.as_str()) {
            parts.push(format!("status={s}"));
        }
    }
    if let Some(c) = cursor {
        parts.push(format!("cursor={c}"));
    }
    if parts.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}

/// The filter bar shared by the three lists.
fn filters(base: &'static str, q: RecordQuery, with_status: bool) -> impl IntoView {
    let region = q.region.clone().unwrap_or_default();
    let status = q.status.clone().unwrap_or_default();
    view! {
        <form method="get" action=base class="filters" role="search" aria-label="Filter">
            <div class="field">
                <label for="region">"Region"</label>
                <select id="region" name="region">
                    <option value="">"Every region I can see"</option>
                    {REGIONS.iter().map(|r| view! { <option value=*r selected=region == *r>{*r}</option> }).collect_view()}
                </select>
            </div>
            {with_status.then(|| view! {
                <div class="field">
                    <label for="status">"Status"</label>
                    <select id="status" name="status">
                        <option value="">"Any status"</option>
                        {TICKET_STATUSES.iter().map(|s| view! { <option value=*s selected=status == *s>{*s}</option> }).collect_view()}
                    </select>
                </div>
            })}
            <button type="submit" class="button">"Apply"</button>
        </form>
    }
}

/// "Showing 25 of 1,234 · your access: region = EMEA", and the pager.
fn summary<T>(page: &RecordPage<T>) -> impl IntoView {
    let total = page.total;
    let shown = page.rows.len();
    let scope = page.scope.clone();
    view! {
        <p class="muted" role="status">
            {format!("{shown} shown of {total}")}" · "<span>"your access: "<strong>{scope}</strong></span>
        </p>
    }
}

fn pager(base: &'static str, q: &RecordQuery, next: Option<i64>) -> impl IntoView {
    let first = q.cursor.is_some().then(|| href(base, q, None));
    let next = next.map(|c| href(base, q, Some(c)));
    view! {
        <nav class="pager" aria-label="Pages">
            {first.map(|h| view! { <a href=h>"← First page"</a> })}
            {next.map(|h| view! { <a href=h rel="next">"Next page →"</a> })}
        </nav>
    }
}

fn empty(base: &'static str, q: &RecordQuery) -> AnyView {
    if q.region.is_some() || q.status.is_some() {
        view! { <div class="empty"><p>"Nothing matches these filters. "<a href=base>"Clear the filters"</a>"."</p></div> }.into_any()
    } else {
        view! { <div class="empty"><p>"Nothing here that your access covers."</p></div> }.into_any()
    }
}

/// Tickets.
#[component]
pub fn TicketsPage() -> impl IntoView {
    let q = record_query();
    let page = Resource::new(move || q.get(), list_tickets);
    view! {
        <Title text="Tickets"/>
        <h1>"Tickets"</h1>
        {move || filters("/tickets", q.get(), true)}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let q = q.get_untracked();
                match page.await {
                    Ok(page) if page.rows.is_empty() => view! { {summary(&page)}{empty("/tickets", &q)} }.into_any(),
                    Ok(page) => view! {
                        {summary(&page)}
                        <table class="table">
                            <caption class="sr-only">"Tickets, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"#"</th><th scope="col">"Subject"</th><th scope="col">"Status"</th><th scope="col">"Priority"</th>
                                <th scope="col">"Region"</th><th scope="col">"Product line"</th><th scope="col">"Channel"</th>
                            </tr></thead>
                            <tbody>{page.rows.iter().map(|t| view! {
                                <tr>
                                    <td class="num">{t.id}</td>
                                    <td><a href=format!("/tickets/{}", t.id)>{t.subject.clone()}</a></td>
                                    <td>{t.status.clone()}</td><td>{t.priority.clone()}</td>
                                    <td>{t.region.clone()}</td><td>{t.product_line.clone()}</td><td>{t.channel.clone()}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        {pager("/tickets", &q, page.next_cursor)}
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One ticket, with the engine's answer to "why can I see this?".
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let ticket = Resource::new(id, get_ticket);
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match ticket.await {
                    Ok(d) => view! {
                        <Title text=title_text(&d.ticket.subject)/>
                        <p class="breadcrumb"><a href="/tickets">"Tickets"</a>" / #"{d.ticket.id}</p>
                        <h1>{d.ticket.subject.clone()}</h1>
                        <dl class="details">
                            <dt>"Customer"</dt><dd>{d.customer_name.clone()}</dd>
                            <dt>"Status"</dt><dd>{d.ticket.status.clone()}</dd>
                            <dt>"Priority"</dt><dd>{d.ticket.priority.clone()}</dd>
                            <dt>"Region"</dt><dd>{d.ticket.region.clone()}</dd>
                            <dt>"Product line"</dt><dd>{d.ticket.product_line.clone()}</dd>
                            <dt>"Segment"</dt><dd>{d.ticket.segment.clone()}</dd>
                            <dt>"Channel"</dt><dd>{d.ticket.channel.clone()}</dd>
                            <dt>"Opened"</dt><dd>{d.ticket.created_at.clone()}" UTC"</dd>
                        </dl>
                        <section class="notice" aria-labelledby="why-heading">
                            <h2 id="why-heading">"Why you can see this"</h2>
                            <p class="path">{d.why.clone()}</p>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <p class="breadcrumb"><a href="/tickets">"Tickets"</a></p><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Survey responses.
#[component]
pub fn FeedbackPage() -> impl IntoView {
    let q = record_query();
    let page = Resource::new(move || q.get(), list_feedback);
    view! {
        <Title text="Feedback"/>
        <h1>"Feedback"</h1>
        {move || filters("/feedback", q.get(), false)}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let q = q.get_untracked();
                match page.await {
                    Ok(page) if page.rows.is_empty() => view! { {summary(&page)}{empty("/feedback", &q)} }.into_any(),
                    Ok(page) => view! {
                        {summary(&page)}
                        <table class="table">
                            <caption class="sr-only">"Survey responses, newest first"</caption>
                            <thead><tr>
                                <th scope="col" class="num">"Score"</th><th scope="col">"Comment"</th>
                                <th scope="col">"Region"</th><th scope="col">"Product line"</th><th scope="col">"Channel"</th>
                            </tr></thead>
                            <tbody>{page.rows.iter().map(|f| view! {
                                <tr>
                                    <td class="num">{f.score}</td><td>{f.comment.clone()}</td>
                                    <td>{f.region.clone()}</td><td>{f.product_line.clone()}</td><td>{f.channel.clone()}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        {pager("/feedback", &q, page.next_cursor)}
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Customers; personal data only where the caller may see it.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let q = record_query();
    let page = Resource::new(move || q.get(), list_customers);
    view! {
        <Title text="Customers"/>
        <h1>"Customers"</h1>
        {move || filters("/customers", q.get(), false)}
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let q = q.get_untracked();
                let hidden = || view! { <span class="muted">"hidden"<span class="sr-only">" (needs customer.view_pii)"</span></span> };
                match page.await {
                    Ok(page) if page.rows.is_empty() => view! { {summary(&page)}{empty("/customers", &q)} }.into_any(),
                    Ok(page) => view! {
                        {summary(&page)}
                        <table class="table">
                            <caption class="sr-only">"Customers, newest first"</caption>
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Phone"</th>
                                <th scope="col">"Region"</th><th scope="col">"Product line"</th><th scope="col">"Segment"</th>
                            </tr></thead>
                            <tbody>{page.rows.iter().map(|c| view! {
                                <tr>
                                    <td>{c.name.clone()}</td>
                                    <td>{match c.email.clone() { Some(e) => e.into_any(), None => hidden().into_any() }}</td>
                                    <td>{match c.phone.clone() { Some(p) => p.into_any(), None => hidden().into_any() }}</td>
                                    <td>{c.region.clone()}</td><td>{c.product_line.clone()}</td><td>{c.segment.clone()}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                        {pager("/customers", &q, page.next_cursor)}
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
