//! People: the list with search, filter, sort, pagination and bulk suspend; create; detail with
//! edit, suspend and reactivate.

use crate::api::people::{
    get_people_by_ids, get_person, list_people, CreatePerson, ReactivatePerson, SuspendPeople,
    UpdatePerson,
};
use crate::domain::flash::Flash;
use crate::domain::people::{
    Employment, PeopleQuery, PeopleSort, PersonDetail, PersonSummary, UserStatus, REGIONS,
};
use crate::ui::components::{
    loading, CsrfField, ErrorNotice, Field, FormError, SelectField, StatusBadge,
};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn query_from_url(get: impl Fn(&str) -> Option<String>) -> PeopleQuery {
    PeopleQuery {
        search: get("q").unwrap_or_default(),
        status: get("status").and_then(|s| UserStatus::parse(&s)),
        sort: PeopleSort::parse(&get("sort").unwrap_or_default()),
        cursor: get("cursor").filter(|c| !c.is_empty()),
        limit: 0,
    }
}

fn list_href(query: &PeopleQuery, sort: PeopleSort, cursor: Option<&str>) -> String {
    let mut parts = Vec::new();
    if !query.search.is_empty() {
        parts.push(format!("q={}", encode(&query.search)));
    }
    if let Some(status) = query.status {
        parts.push(format!("status={}", status.code()));
    }
    if sort != PeopleSort::Name {
        parts.push(format!("sort={}", sort.code()));
    }
    if let Some(cursor) = cursor {
        parts.push(format!("cursor={cursor}"));
    }
    if parts.is_empty() {
        "/people".to_owned()
    } else {
        format!("/people?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The People list.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        query_from_url(|k| map.get(k))
    });
    let page = Resource::new(move || query.get(), list_people);
    view! {
        <Title text="People"/>
        <div class="page-header">
            <h1>"People"</h1>
            <a class="button button-primary" href="/people/new">"Add person"</a>
        </div>
        <form method="get" action="/people" class="filters" role="search" aria-label="Filter people">
            <div class="field">
                <label for="q">"Search"</label>
                <input id="q" name="q" type="search" placeholder="Name or email starts with…" value=move || query.get().search maxlength="254"/>
            </div>
            <div class="field">
                <label for="status">"Status"</label>
                <select id="status" name="status">
                    <option value="" selected=move || query.get().status.is_none()>"Any status"</option>
                    {UserStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.code() selected=move || query.get().status == Some(s)>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="sort">"Sort by"</label>
                <select id="sort" name="sort">
                    {[(PeopleSort::Name, "Name"), (PeopleSort::Email, "Email"), (PeopleSort::Newest, "Newest first")].into_iter().map(|(s, label)| view! {
                        <option value=s.code() selected=move || query.get().sort == s>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button">"Apply"</button>
        </form>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match page.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <div class="empty">
                            {if q.search.is_empty() && q.status.is_none() {
                                view! { <p>"No people yet. "<a href="/people/new">"Add the first person"</a>"."</p> }.into_any()
                            } else {
                                view! { <p>"Nobody matches these filters. "<a href="/people">"Clear the filters"</a>"."</p> }.into_any()
                            }}
                        </div>
                    }.into_any(),
                    Ok(page) => {
                        let next = page.next_cursor.clone().map(|c| list_href(&q, q.sort, Some(&c)));
                        let first = q.cursor.is_some().then(|| list_href(&q, q.sort, None));
                        view! {
                            <form method="get" action="/people/suspend" class="bulk-form">
                                <div class="bulk-bar">
                                    <button type="submit" class="button button-danger">"Suspend selected…"</button>
                                    <span class="hint">"Select people with the checkboxes, then confirm on the next page."</span>
                                </div>
                                <table class="table">
                                    <caption class="sr-only">"People, sorted by "{q.sort.code()}</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col"><span class="sr-only">"Select"</span></th>
                                            <SortHeader label="Name" sort=PeopleSort::Name query=q.clone()/>
                                            <SortHeader label="Email" sort=PeopleSort::Email query=q.clone()/>
                                            <th scope="col">"Department"</th>
                                            <th scope="col">"Region"</th>
                                            <th scope="col">"Status"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page.rows.into_iter().map(person_row).collect_view()}
                                    </tbody>
                                </table>
                            </form>
                            <nav class="pager" aria-label="Pages">
                                {first.map(|href| view! { <a href=href>"← First page"</a> })}
                                {next.map(|href| view! { <a href=href rel="next">"Next page →"</a> })}
                            </nav>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SortHeader(label: &'static str, sort: PeopleSort, query: PeopleQuery) -> impl IntoView {
    let active = query.sort == sort;
    let href = list_href(&query, sort, None);
    view! {
        <th scope="col" aria-sort=if active { "ascending" } else { "none" }>
            <a href=href>{label}{active.then_some(" ▲")}</a>
        </th>
    }
}

fn person_row(person: PersonSummary) -> impl IntoView {
    let checkbox_id = format!("select-{}", person.id);
    let label = format!("Select {}", person.display_name);
    view! {
        <tr>
            <td><input type="checkbox" name="id" value=person.id.to_string() id=checkbox_id aria-label=label/></td>
            <td>
                <a href=format!("/people/{}", person.id)>{person.display_name}</a>
            </td>
            <td>{person.email}</td>
            <td>{person.department.unwrap_or_default()}</td>
            <td>{person.region.unwrap_or_default()}</td>
            <td><StatusBadge status=person.status/></td>
        </tr>
    }
}

/// The fields of the person form, filled from the flash (after an error) or the stored person.
fn person_fields(flash: &Flash, stored: Option<&PersonDetail>) -> impl IntoView {
    let value = |field: &str, stored_value: Option<String>| {
        flash
            .value("person", field)
            .or(stored_value)
            .unwrap_or_default()
    };
    let error = |field: &str| flash.field_error("person", field);
    let regions = std::iter::once((String::new(), "No region".to_owned()))
        .chain(REGIONS.iter().map(|r| (r.to_string(), r.to_string())))
        .collect::<Vec<_>>();
    let employment = Employment::ALL
        .iter()
        .map(|e| (e.code().to_owned(), e.label().to_owned()))
        .collect::<Vec<_>>();
    view! {
        <Field label="Name" name="form[display_name]" id="display_name" required=true maxlength=Some(120)
            value=value("display_name", stored.map(|s| s.display_name.clone())) error=error("display_name")/>
        <Field label="Email" name="form[email]" id="email" kind="email" required=true maxlength=Some(254)
            value=value("email", stored.map(|s| s.email.clone())) error=error("email")/>
        <div class="field-row">
            <Field label="Department" name="form[department]" id="department" maxlength=Some(80)
                value=value("department", stored.and_then(|s| s.department.clone())) error=error("department")/>
            <Field label="Job title" name="form[job_title]" id="job_title" maxlength=Some(80)
                value=value("job_title", stored.and_then(|s| s.job_title.clone())) error=error("job_title")/>
        </div>
        <div class="field-row">
            <SelectField label="Region" name="form[region]" id="region" options=regions
                value=value("region", stored.and_then(|s| s.region.clone())) error=error("region")/>
            <SelectField label="Employment" name="form[employment]" id="employment" options=employment
                value=value("employment", stored.map(|s| s.employment.code().to_owned())) error=error("employment")/>
        </div>
        <Field label="Product lines" name="form[product_lines]" id="product_lines"
            hint=Some("Comma-separated: Payments, Lending, Insights, Mobile")
            value=value("product_lines", stored.map(|s| s.product_lines.join(", "))) error=error("product_lines")/>
        <Field label="Manager's email" name="form[manager_email]" id="manager_email" kind="email" maxlength=Some(254)
            hint=Some("Leave empty if they have no manager in Castellan.")
            value=value("manager_email", stored.and_then(|s| s.manager_email.clone())) error=error("manager_email")/>
    }
}

/// Add a person.
#[component]
pub fn NewPersonPage() -> impl IntoView {
    let session = use_session();
    view! {
        <Title text="Add person"/>
        <p class="breadcrumb"><a href="/people">"People"</a>" / Add person"</p>
        <h1>"Add person"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let Ok(info) = session.await else { return view! { <p>"Session unavailable."</p> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                view! {
                    <FormError message=flash.form_error("person")/>
                    {(!flash.errors.is_empty() && flash.form.as_deref() == Some("person")).then(|| view! {
                        <div class="notice notice-error" role="alert">"Please correct the fields marked below."</div>
                    })}
                    <form method="post" action=CreatePerson::PATH class="stack form-card" novalidate>
                        <CsrfField token=info.csrf_token.clone()/>
                        {person_fields(&flash, None)}
                        <Field label="Initial password" name="initial_password" id="initial_password" kind="password"
                            autocomplete=Some("new-password") error=flash.field_error("person", "initial_password")
                            hint=Some("Optional. At least 12 characters; give it to them privately. Without one they cannot sign in with a password.")/>
                        <div class="actions">
                            <button type="submit" class="button button-primary">"Add person"</button>
                            <a href="/people" class="button">"Cancel"</a>
                        </div>
                    </form>
                }.into_any()
            })}
        </Suspense>
    }
}

/// One person: attributes, edit form, suspend and reactivate.
#[component]
pub fn PersonPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let person = Resource::new(id, get_person);
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, person) = (session.await, person.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let person = match person { Ok(p) => p, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                let suspended = person.status == UserStatus::Suspended;
                view! {
                    <Title text=crate::ui::components::title_text(&person.display_name)/>
                    <p class="breadcrumb"><a href="/people">"People"</a>" / "{person.display_name.clone()}
                        {crate::ui::components::history_links(&info, "user", person.id, Some(&person.email))}</p>
                    <div class="page-header">
                        <h1>{person.display_name.clone()}" "<StatusBadge status=person.status/></h1>
                        <div class="actions">
                            {if suspended {
                                view! {
                                    <form method="post" action=ReactivatePerson::PATH>
                                        <CsrfField token=info.csrf_token.clone()/>
                                        <input type="hidden" name="id" value=person.id.to_string()/>
                                        <button type="submit" class="button">"Reactivate"</button>
                                    </form>
                                }.into_any()
                            } else {
                                view! { <a class="button button-danger" href=format!("/people/suspend?id={}", person.id)>"Suspend…"</a> }.into_any()
                            }}
                        </div>
                    </div>
                    <FormError message=flash.form_error("reactivate")/>
                    <dl class="details">
                        <dt>"Email"</dt><dd>{person.email.clone()}</dd>
                        <dt>"Manager"</dt><dd>{match (person.manager_id, person.manager_name.clone()) {
                            (Some(mid), Some(name)) => view! { <a href=format!("/people/{mid}")>{name}</a> }.into_any(),
                            _ => view! { <span class="muted">"None"</span> }.into_any(),
                        }}</dd>
                        <dt>"Employment"</dt><dd>{person.employment.label()}</dd>
                        <dt>"Added"</dt><dd>{person.created_at.clone()}</dd>
                        <dt>"Last changed"</dt><dd>{person.updated_at.clone()}</dd>
                    </dl>
                    <section aria-labelledby="edit-heading" class="form-card">
                        <h2 id="edit-heading">"Edit details"</h2>
                        {(!flash.errors.is_empty() && flash.form.as_deref() == Some("person")).then(|| view! {
                            <div class="notice notice-error" role="alert">"Please correct the fields marked below."</div>
                        })}
                        <FormError message=flash.form_error("person")/>
                        <form method="post" action=UpdatePerson::PATH class="stack" novalidate>
                            <CsrfField token=info.csrf_token.clone()/>
                            <input type="hidden" name="id" value=person.id.to_string()/>
                            {person_fields(&flash, Some(&person))}
                            <div class="actions">
                                <button type="submit" class="button button-primary">"Save changes"</button>
                            </div>
                        </form>
                    </section>
                }.into_any()
            })}
        </Suspense>
        <crate::ui::pages::access::PersonAccess user_id=Signal::derive(id)/>
        <crate::ui::pages::security::PersonMfa user_id=Signal::derive(id)/>
    }
}

/// Confirmation before suspending one or many people (works without JavaScript).
#[component]
pub fn ConfirmSuspendPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let ids = move || {
        let map = query.read();
        let mut ids = map.get_all("id").unwrap_or_default();
        if let Some(list) = map.get("ids") {
            ids.extend(list.split(',').map(str::to_owned));
        }
        ids.into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(",")
    };
    let people = Resource::new(ids, get_people_by_ids);
    view! {
        <Title text="Suspend people"/>
        <p class="breadcrumb"><a href="/people">"People"</a>" / Suspend"</p>
        <h1>"Suspend people"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, people) = (session.await, people.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let people = match people {
                    Ok(people) if !people.is_empty() => people,
                    Ok(_) | Err(crate::domain::AppError::Validation(_)) => return view! {
                        <div class="empty"><p>"Nobody is selected. "<a href="/people">"Choose people from the list"</a>" first."</p></div>
                    }.into_any(),
                    Err(error) => return view! { <ErrorNotice error/> }.into_any(),
                };
                let id_list = people.iter().map(|p| p.id.to_string()).collect::<Vec<_>>().join(",");
                let count = people.len();
                view! {
                    <FormError message=crate::ui::page_flash(&info).form_error("suspend").or_else(|| crate::ui::page_flash(&info).field_error("suspend", "ids"))/>
                    <div class="notice notice-warning">
                        <p>{if count == 1 { "This person".to_owned() } else { format!("These {count} people") }}
                           " will be signed out everywhere at once and cannot sign in until reactivated."</p>
                    </div>
                    <ul class="plain-list">
                        {people.into_iter().map(|p| view! { <li>{p.display_name}" — "{p.email}" "<StatusBadge status=p.status/></li> }).collect_view()}
                    </ul>
                    <form method="post" action=SuspendPeople::PATH class="actions">
                        <CsrfField token=info.csrf_token.clone()/>
                        <input type="hidden" name="ids" value=id_list/>
                        <button type="submit" class="button button-danger">
                            {if count == 1 { "Suspend 1 person".to_owned() } else { format!("Suspend {count} people") }}
                        </button>
                        <a href="/people" class="button">"Cancel"</a>
                    </form>
                }.into_any()
            })}
        </Suspense>
    }
}
