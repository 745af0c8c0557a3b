//! The dashboard: real figures from the database.

use crate::api::alerts::get_activity_charts;
use crate::api::dashboard::get_dashboard;
use crate::domain::audit::ActivityCharts;
use crate::ui::components::charts::{BarChart, RankChart};
use crate::ui::components::{loading, ErrorNotice};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos_meta::Title;

/// One adoption table: name, people with a second factor, everyone, as a share.
fn adoption_table(caption: &'static str, rows: Vec<(String, u64, u64)>) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted">{caption}": nothing to show yet."</p> }.into_any();
    }
    view! {
        <table class="table">
            <caption>{caption}</caption>
            <thead><tr><th scope="col">"Name"</th><th scope="col" class="num">"With a second factor"</th><th scope="col" class="num">"Share"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|(name, enrolled, total)| {
                    let share = (enrolled * 100).checked_div(total).unwrap_or(0);
                    view! { <tr><td>{name}</td><td class="num">{format!("{enrolled} of {total}")}</td><td class="num">{format!("{share}%")}</td></tr> }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// People by status, sign-ins today, recent activity.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let session = use_session();
    let figures = Resource::new(|| (), |_| get_dashboard());
    let charts = Resource::new(|| (), |_| get_activity_charts());
    view! {
        <Title text="Dashboard"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let name = session.await.ok().and_then(|s| s.user).map(|u| u.display_name).unwrap_or_default();
                // Charts are for people who may read the audit log; others simply do not get them.
                let charts = charts.await.ok().flatten().map(|c| view! { <Charts charts=c/> }.into_any());
                match figures.await {
                    Ok(Some(f)) => view! {
                        <h1>"Dashboard"</h1>
                        <p class="lead">"Hello, "{name}"."</p>
                        <section aria-labelledby="people-heading" class="cards">
                            <h2 id="people-heading" class="sr-only">"People and sign-ins"</h2>
                            <a class="card" href="/people?status=active"><span class="card-figure">{f.active}</span><span class="card-label">"active people"</span></a>
                            <a class="card" href="/people?status=suspended"><span class="card-figure">{f.suspended}</span><span class="card-label">"suspended"</span></a>
                            <a class="card" href="/people?status=deactivated"><span class="card-figure">{f.deactivated}</span><span class="card-label">"deactivated"</span></a>
                            <div class="card"><span class="card-figure">{f.sign_ins_today}</span><span class="card-label">"sign-ins today"</span></div>
                            <div class="card"><span class="card-figure">{f.failed_sign_ins_today}</span><span class="card-label">"failed sign-ins today"</span></div>
                        </section>
                        {charts}
                        <section aria-labelledby="mfa-heading">
                            <h2 id="mfa-heading">"Second-factor adoption"</h2>
                            <div class="field-row">
                                {adoption_table("By role", f.mfa_by_role.clone())}
                                {adoption_table("By team", f.mfa_by_team.clone())}
                            </div>
                        </section>
                        <section aria-labelledby="activity-heading">
                            <h2 id="activity-heading">"Recent activity"</h2>
                            {if f.recent.is_empty() {
                                view! { <p class="empty">"Nothing has happened yet. Changes and sign-ins will appear here."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table">
                                        <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Outcome"</th></tr></thead>
                                        <tbody>
                                            {f.recent.into_iter().map(|item| view! {
                                                <tr>
                                                    <td class="nowrap">{item.occurred_at}</td>
                                                    <td>{item.actor}</td>
                                                    <td>{item.action_label}" "{item.target.unwrap_or_default()}<span class="code">" ("{item.action_code}")"</span></td>
                                                    <td><span class=format!("badge badge-{}", item.outcome)>{item.outcome.clone()}</span></td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                    Ok(None) => view! {
                        <h1>"Welcome, "{name}</h1>
                        <p class="lead">"You are signed in. The console areas you can use will appear in the menu as your administrator gives you access."</p>
                        <p><a href="/profile">"See your profile"</a></p>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Open alerts, activity over two weeks, sign-ins and the most active people.
#[component]
fn Charts(charts: ActivityCharts) -> AnyView {
    let events: Vec<(String, Vec<u64>)> = charts
        .events_by_day
        .into_iter()
        .map(|(d, n)| (d, vec![n]))
        .collect();
    let sign_ins: Vec<(String, Vec<u64>)> = charts
        .sign_ins_by_day
        .into_iter()
        .map(|(d, ok, failed)| (d, vec![ok, failed]))
        .collect();
    let alerts = if charts.open_alerts == 0 {
        view! { <p class="muted">"No open alerts."</p> }.into_any()
    } else {
        view! {
            <ul class="alert-list">
                {charts.latest_alerts.into_iter().map(|a| view! {
                    <li><span class=if a.severity == "high" { "badge badge-failure" } else { "badge badge-warning" }>{a.severity.clone()}</span>" "
                        <strong>{a.title}</strong>" — "{a.summary}" "<span class="muted">{a.raised_at}</span></li>
                }).collect_view()}
            </ul>
        }.into_any()
    };
    view! {
        <section aria-labelledby="alerts-heading" class="widget">
            <h2 id="alerts-heading"><a href="/alerts">{format!("Open alerts: {}", charts.open_alerts)}</a></h2>
            {alerts}
        </section>
        <section aria-labelledby="charts-heading">
            <h2 id="charts-heading">"Activity"</h2>
            <div class="chart-grid-2">
                <div>
                    <h3>"Audit events per day"</h3>
                    <BarChart id="chart-events" title="Audit events per day, last 14 days (UTC)" series=vec!["Events"] bars=events/>
                </div>
                <div>
                    <h3>"Sign-ins per day"</h3>
                    <BarChart id="chart-sign-ins" title="Successful and failed sign-ins per day, last 14 days (UTC)" series=vec!["Succeeded", "Failed"] bars=sign_ins/>
                </div>
            </div>
            <h3>"Most active people, last 7 days"</h3>
            {if charts.top_actors.is_empty() {
                view! { <p class="muted">"Nobody has done anything in the last 7 days."</p> }.into_any()
            } else {
                view! { <RankChart id="chart-actors" title="Most active people by audit events, last 7 days" rows=charts.top_actors/> }.into_any()
            }}
        </section>
    }
    .into_any()
}
