//! The audit log: filters in the address (a plain GET form, so it works without JavaScript and
//! every view can be bookmarked or shared), newest first with an "older" cursor, exports of the
//! same filters, and one event with its before/after comparison.

use crate::api::audit::{get_audit_event, get_audit_integrity, list_audit, VerifyAuditChain};
use crate::api::audit_operations::SignCheckpoint;
use crate::domain::audit::IntegrityStatus;
use crate::domain::audit::{AuditAction, AuditQuery, AuditRow, Outcome};
use crate::domain::AppError;
use crate::ui::components::{loading, CsrfField, ErrorNotice, FormError};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

fn query_from_url(get: impl Fn(&str) -> Option<String>) -> AuditQuery {
    let field = |k: &str| get(k).unwrap_or_default();
    AuditQuery {
        from: field("from"),
        to: field("to"),
        actor: field("actor"),
        action: field("action"),
        target_type: field("target_type"),
        target_id: field("target_id"),
        outcome: field("outcome"),
        client: field("client"),
        q: field("q"),
        before: field("before"),
    }
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// Where a target's own page is, when it has one.
fn target_href(kind: Option<&str>, id: Option<i64>) -> Option<String> {
    let id = id?;
    let area = match kind? {
        "user" => "people",
        "role" => "roles",
        "team" => "teams",
        "group" => "groups",
        "ticket" => "tickets",
        _ => return None,
    };
    Some(format!("/{area}/{id}"))
}

/// Category options (`role`) then every action code, for the action filter.
fn action_options() -> Vec<(String, String)> {
    let mut categories: Vec<&str> = AuditAction::ALL
        .iter()
        .filter_map(|a| a.code().split('.').next())
        .collect();
    categories.sort_unstable();
    categories.dedup();
    let mut options: Vec<(String, String)> = categories
        .into_iter()
        .map(|c| (c.to_owned(), format!("All {c} events")))
        .collect();
    let mut codes: Vec<&str> = AuditAction::ALL.iter().map(|a| a.code()).collect();
    codes.sort_unstable();
    options.extend(codes.into_iter().map(|c| (c.to_owned(), c.to_owned())));
    options
}

fn outcome_badge(outcome: &str) -> impl IntoView {
    let class = match outcome {
        "success" => "badge badge-active",
        _ => "badge badge-denied",
    };
    view! { <span class=class>{outcome.to_owned()}</span> }
}

#[component]
fn AuditTable(rows: Vec<AuditRow>) -> impl IntoView {
    view! {
        <table class="table audit-table">
            <caption class="sr-only">"Audit events, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"When (UTC)"</th>
                    <th scope="col">"Who"</th>
                    <th scope="col">"What"</th>
                    <th scope="col">"To what"</th>
                    <th scope="col">"Outcome"</th>
                    <th scope="col">"From"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let href = format!("/audit/{}", r.seq);
                    let target = r.target.clone().unwrap_or_default();
                    let kind = r.target_type.clone().unwrap_or_default();
                    view! {
                        <tr>
                            <td><a href=href aria-label=format!("Event {}", r.seq)>{r.seq}</a></td>
                            <td class="nowrap">{r.occurred_at.clone()}</td>
                            <td>{r.actor.clone()}</td>
                            <td><span class="code">{r.action_code.clone()}</span></td>
                            <td>{(!kind.is_empty()).then(|| view! { <span class="muted">{kind}" "</span> })}{target}</td>
                            <td>{outcome_badge(&r.outcome)}</td>
                            <td class="code">{r.client.clone().unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// `/audit`: who did what, when, to whom, and whether it was allowed.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        query_from_url(|k| map.get(k))
    });
    let page = Resource::new(move || query.get(), list_audit);
    let field = move |f: fn(&AuditQuery) -> String| move || f(&query.get());
    view! {
        <Title text="Audit log"/>
        <div class="page-header">
            <h1>"Audit log"</h1>
            <div class="actions">
                <a class="button" href="/alerts">"Alerts"</a>
                <a class="button" href="/audit/integrity">"Verify integrity"</a>
                <a class="button" href="/audit/settings">"Settings"</a>
            </div>
        </div>
        <form method="get" action="/audit" class="filters audit-filters" role="search" aria-label="Filter the audit log">
            <div class="field">
                <label for="from">"From"</label>
                <input id="from" name="from" type="text" inputmode="numeric" placeholder="2026-11-25" value=field(|q| q.from.clone()) maxlength="19" aria-describedby="time-hint"/>
            </div>
            <div class="field">
                <label for="to">"To"</label>
                <input id="to" name="to" type="text" inputmode="numeric" placeholder="2026-11-25T18:00" value=field(|q| q.to.clone()) maxlength="19" aria-describedby="time-hint"/>
            </div>
            <div class="field">
                <label for="actor">"Actor (email)"</label>
                <input id="actor" name="actor" type="text" value=field(|q| q.actor.clone()) maxlength="300"/>
            </div>
            <div class="field">
                <label for="action">"Action"</label>
                <select id="action" name="action">
                    <option value="" selected=move || query.get().action.is_empty()>"Any action"</option>
                    {action_options().into_iter().map(|(value, label)| {
                        let v = value.clone();
                        view! { <option value=value selected=move || query.get().action == v>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="target_type">"Target kind"</label>
                <select id="target_type" name="target_type">
                    <option value="" selected=move || query.get().target_type.is_empty()>"Any"</option>
                    {["user", "role", "team", "group", "assignment", "ticket", "customer", "organisation"].into_iter().map(|k| view! {
                        <option value=k selected=move || query.get().target_type == k>{k}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="target_id">"Target number"</label>
                <input id="target_id" name="target_id" type="text" inputmode="numeric" value=field(|q| q.target_id.clone()) maxlength="19"/>
            </div>
            <div class="field">
                <label for="outcome">"Outcome"</label>
                <select id="outcome" name="outcome">
                    <option value="" selected=move || query.get().outcome.is_empty()>"Any outcome"</option>
                    {Outcome::ALL.into_iter().map(|o| view! {
                        <option value=o.code() selected=move || query.get().outcome == o.code()>{o.code()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="client">"Client address"</label>
                <input id="client" name="client" type="text" value=field(|q| q.client.clone()) maxlength="64" placeholder="10.1."/>
            </div>
            <div class="field">
                <label for="q">"Search names"</label>
                <input id="q" name="q" type="search" value=field(|q| q.q.clone()) maxlength="200" placeholder="Actor or target name"/>
            </div>
            <div class="actions">
                <button type="submit" class="button">"Apply"</button>
                <a class="button" href="/audit">"Clear"</a>
            </div>
            <p class="hint" id="time-hint">"Times are UTC: a date (2026-11-25) or a date and time (2026-11-25T14:30). Both ends are included."</p>
        </form>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                let filters = q.to_query_string();
                match page.await {
                    Err(AppError::Validation(fields)) => view! {
                        <div class="notice notice-error" role="alert">
                            <p>"Some filters could not be read:"</p>
                            <ul>{fields.into_iter().map(|(f, m)| view! { <li>{format!("{f}: {m}")}</li> }).collect_view()}</ul>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    Ok(page) => {
                        let exports = page.may_export.then(|| view! {
                            <p class="exports">"Download these events: "
                                <a href=with_query("/audit/export.csv", &filters) download>"CSV"</a>" · "
                                <a href=with_query("/audit/export.ndjson", &filters) download>"NDJSON"</a>
                            </p>
                        });
                        if page.rows.is_empty() {
                            return view! {
                                {exports}
                                <div class="empty">
                                    {if q.is_filtered() || !q.before.is_empty() {
                                        view! { <p>"No events match these filters. "<a href="/audit">"Clear the filters"</a>"."</p> }.into_any()
                                    } else {
                                        view! { <p>"No events yet."</p> }.into_any()
                                    }}
                                </div>
                            }.into_any();
                        }
                        let older = page.next_before.map(|b| {
                            let sep = if filters.is_empty() { "" } else { "&" };
                            format!("/audit?{filters}{sep}before={b}")
                        });
                        let newest = (!q.before.is_empty()).then(|| with_query("/audit", &filters));
                        view! {
                            {exports}
                            <AuditTable rows=page.rows/>
                            <nav class="pager" aria-label="Pages">
                                {newest.map(|href| view! { <a class="button" href=href>"← Newest"</a> })}
                                {older.map(|href| view! { <a class="button" href=href rel="next">"Older events →"</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// `/audit/:seq`: one event, with what changed.
#[component]
pub fn AuditEventPage() -> impl IntoView {
    let params = use_params_map();
    let seq = Memo::new(move |_| {
        params
            .read()
            .get("seq")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let event = Resource::new(move || seq.get(), get_audit_event);
    view! {
        <Title text="Audit event"/>
        <p><a href="/audit">"← Audit log"</a></p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let event = match event.await { Ok(e) => e, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let r = event.row.clone();
                let target_link = target_href(r.target_type.as_deref(), r.target_id);
                let history = r.target_type.clone().zip(r.target_id).map(|(k, id)| format!("/audit?target_type={k}&target_id={id}"));
                view! {
                    <h1>{format!("Event {}", r.seq)}</h1>
                    <p class="lead">{r.actor.clone()}" "{r.action_label.clone()}" "{r.target.clone().unwrap_or_default()}</p>
                    <dl class="details">
                        <dt>"When"</dt><dd>{r.occurred_at.clone()}</dd>
                        <dt>"Action"</dt><dd class="code">{r.action_code.clone()}</dd>
                        <dt>"Outcome"</dt><dd>{outcome_badge(&r.outcome)}</dd>
                        <dt>"Actor"</dt><dd>{r.actor.clone()}</dd>
                        <dt>"Target"</dt>
                        <dd>
                            {match target_link {
                                Some(href) => view! { <a href=href>{r.target.clone().unwrap_or_default()}</a> }.into_any(),
                                None => view! { <span>{r.target.clone().unwrap_or_else(|| "—".into())}</span> }.into_any(),
                            }}
                            {history.map(|h| view! { " · "<a href=h>"Its history"</a> })}
                        </dd>
                        <dt>"Client address"</dt><dd class="code">{r.client.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Browser"</dt><dd>{event.user_agent.clone().unwrap_or_else(|| "—".into())}</dd>
                    </dl>
                    <section aria-labelledby="changes-heading">
                        <h2 id="changes-heading">"What changed"</h2>
                        {if event.diff.is_empty() {
                            view! { <p class="empty">"This event records no before or after."</p> }.into_any()
                        } else {
                            view! {
                                <table class="table diff-table">
                                    <caption class="sr-only">"Fields before and after"</caption>
                                    <thead><tr><th scope="col">"Field"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                                    <tbody>
                                        {event.diff.iter().map(|line| {
                                            let changed = line.changed();
                                            let state = match (&line.before, &line.after) {
                                                (None, Some(_)) => "added",
                                                (Some(_), None) => "removed",
                                                _ if changed => "changed",
                                                _ => "unchanged",
                                            };
                                            view! {
                                                <tr class=format!("diff-{state}")>
                                                    <th scope="row">{line.field.clone()}<span class="sr-only">{format!(" ({state})")}</span></th>
                                                    <td><del>{line.before.clone().unwrap_or_default()}</del></td>
                                                    <td><ins>{line.after.clone().unwrap_or_default()}</ins></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                    </section>
                    <section aria-labelledby="chain-heading">
                        <h2 id="chain-heading">"Chain"</h2>
                        <dl class="details">
                            <dt>"Hash"</dt><dd class="code hash">{event.hash.clone()}</dd>
                            <dt>"Previous hash"</dt><dd class="code hash">{event.prev_hash.clone()}</dd>
                        </dl>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// `/audit/integrity`: verify the hash chain, with progress, and see where it breaks.
#[component]
pub fn IntegrityPage() -> impl IntoView {
    let session = use_session();
    let status = Resource::new(|| (), |_| get_audit_integrity());
    view! {
        <Title text="Audit integrity"/>
        <p class="breadcrumb"><a href="/audit">"Audit log"</a>" / Integrity"</p>
        <h1>"Audit integrity"</h1>
        <p class="lead">"Every event holds the hash of the one before it. Verifying recomputes the whole chain, so an edited, deleted, inserted or reordered event shows exactly where."</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, status) = (session.await, status.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let status = match status { Ok(s) => s, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                let running = status.run.as_ref().is_some_and(|r| r.intact.is_none());
                view! {
                    {running.then(|| view! { <Meta http_equiv="refresh" content="1"/> })}
                    <p>{format!("The chain holds {} events, including the record each verification leaves.", status.head_seq)}</p>
                    <FormError message=flash.form_error("verify")/>
                    {status.run.clone().map(|run| {
                        let percent = (run.checked * 100).checked_div(run.total).unwrap_or(100).min(100);
                        view! {
                            <section class="form-card" aria-labelledby="run-heading" aria-live="polite">
                                <h2 id="run-heading">{if run.intact.is_none() { "Verifying…" } else { "Last verification" }}</h2>
                                <p>{format!("Started {} by {}.", run.started_at, run.started_by)}</p>
                                <label for="verify-progress">{format!("{} of {} events checked ({percent}%)", run.checked, run.total)}</label>
                                <progress id="verify-progress" max=run.total.max(1).to_string() value=run.checked.to_string()></progress>
                                {match run.intact {
                                    Some(true) => view! {
                                        <p class="notice notice-success" id="verify-result">{format!("Intact: all {} events link up and match their hashes (finished {}).", run.checked, run.finished_at.clone().unwrap_or_default())}</p>
                                    }.into_any(),
                                    Some(false) => view! {
                                        <div class="notice notice-error" id="verify-result" role="alert">
                                            <p><strong>{match run.break_seq { Some(seq) => format!("The chain breaks at event {seq}"), None => "The chain could not be verified".to_owned() }}</strong>
                                                {run.reason.clone().map(|r| format!(": {r}."))}</p>
                                            {run.break_seq.map(|seq| view! { <p><a href=format!("/audit?before={}", seq + 2)>"See the events around it"</a></p> })}
                                        </div>
                                    }.into_any(),
                                    None => ().into_any(),
                                }}
                            </section>
                        }
                    })}
                    {(!running).then(|| view! {
                        <form method="post" action=VerifyAuditChain::PATH class="verify-form">
                            <CsrfField token=info.csrf_token.clone()/>
                            <button type="submit" class="button button-primary">"Verify now"</button>
                        </form>
                    })}
                    <p class="hint">"The same check runs from the command line: "<code>"castellan audit verify"</code>"."</p>
                    <Checkpoints status=status.clone() csrf=info.csrf_token.clone()
                        may_manage=info.user.as_ref().is_some_and(|u| u.may(crate::domain::permission::Permission::AuditEventManage))
                        may_export=info.user.as_ref().is_some_and(|u| u.may(crate::domain::permission::Permission::AuditEventExport))
                        error=flash.form_error("checkpoint")/>
                    <Archives status/>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The signed checkpoints of the chain head, their export and "sign now".
#[component]
fn Checkpoints(
    status: IntegrityStatus,
    csrf: String,
    may_manage: bool,
    may_export: bool,
    error: Option<String>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="checkpoints-heading">
            <h2 id="checkpoints-heading">"Signed checkpoints"</h2>
            <p>"Once a day the chain head is signed with this deployment's Ed25519 key. Someone who can write to the database could recompute every hash after an edit, but not sign: verification then names the first event that no longer matches its checkpoint. Keep exports somewhere else and check them with "
                <code>"castellan audit verify --checkpoints FILE"</code>"."</p>
            <p class="hint">"Public key: "<code id="checkpoint-key">{status.public_key.clone()}</code></p>
            <FormError message=error/>
            <div class="actions">
                {may_export.then(|| view! { <a class="button" href="/audit/checkpoints.json" download>"Export checkpoints (JSON)"</a> })}
                {may_manage.then(|| view! {
                    <form method="post" action=SignCheckpoint::PATH class="inline-form">
                        <CsrfField token=csrf/>
                        <button type="submit" class="button">"Sign a checkpoint now"</button>
                    </form>
                })}
            </div>
            {if status.checkpoints.is_empty() {
                view! { <p class="empty">"No checkpoint yet: the first is signed within a day of the first event."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <caption class="sr-only">"Checkpoints, newest first"</caption>
                        <thead><tr><th scope="col">"Signed (UTC)"</th><th scope="col">"At event"</th><th scope="col">"Hash"</th><th scope="col">"Signature"</th></tr></thead>
                        <tbody>
                            {status.checkpoints.into_iter().map(|c| view! {
                                <tr>
                                    <td class="nowrap">{c.signed_at}</td>
                                    <td><a href=format!("/audit/{}", c.seq)>{format!("#{}", c.seq)}</a></td>
                                    <td class="code hash">{c.hash}</td>
                                    <td>{if c.signature_valid {
                                        view! { <span class="badge badge-active">"Valid"</span> }.into_any()
                                    } else {
                                        view! { <span class="badge badge-denied">"Invalid"</span> }.into_any()
                                    }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// Archives of events past the retention period.
#[component]
fn Archives(status: IntegrityStatus) -> impl IntoView {
    let retention = match status.retention_days {
        Some(days) => format!("Events older than {days} days move to compressed archive files."),
        None => "Every event stays in the database (no retention period is set).".to_owned(),
    };
    view! {
        <section aria-labelledby="archives-heading">
            <h2 id="archives-heading">"Archives"</h2>
            <p>{retention}" "<a href="/audit/settings">"Change retention"</a></p>
            {if status.archives.is_empty() {
                view! { <p class="empty">"Nothing archived yet."</p> }.into_any()
            } else {
                view! {
                    <p>"Verification reads these files first, then continues in the database from the last archived hash."</p>
                    <table class="table">
                        <caption class="sr-only">"Archives, newest first"</caption>
                        <thead><tr><th scope="col">"Events"</th><th scope="col">"From (UTC)"</th><th scope="col">"To (UTC)"</th><th scope="col">"File"</th><th scope="col" class="num">"Size"</th></tr></thead>
                        <tbody>
                            {status.archives.into_iter().map(|a| view! {
                                <tr>
                                    <td>{format!("#{}–#{} ({})", a.first_seq, a.last_seq, a.events)}</td>
                                    <td class="nowrap">{a.oldest_at}</td>
                                    <td class="nowrap">{a.newest_at}</td>
                                    <td class="code">{a.file_name}</td>
                                    <td class="num">{format!("{} KB", (a.file_bytes + 1023) / 1024)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
