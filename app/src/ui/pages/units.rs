//! Teams and groups: lists (with the group tree), create, detail with members in bulk,
//! nesting and the roles given to the unit.

use crate::api::access::list_role_choices;
use crate::api::units::{
    get_unit, list_units, AddMembers, CreateUnit, NestGroup, RemoveMembers, UnnestGroup, UpdateUnit,
};
use crate::domain::access::{UnitDetail, UnitSummary};
use crate::domain::flash::Flash;
use crate::domain::permission::Permission;
use crate::ui::components::{loading, title_text, CsrfField, ErrorNotice, FormError};
use crate::ui::pages::access::{AssignForm, AssignmentsTable};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn plural(kind: &str) -> &'static str {
    if kind == "team" {
        "Teams"
    } else {
        "Groups"
    }
}

fn path(kind: &str) -> &'static str {
    if kind == "team" {
        "/teams"
    } else {
        "/groups"
    }
}

/// The name, description (and lead) fields of a unit form.
fn unit_fields(kind: &'static str, flash: &Flash, stored: Option<&UnitDetail>) -> AnyView {
    let value = |field: &str, stored_value: Option<String>| {
        flash
            .value("unit", field)
            .or(stored_value)
            .unwrap_or_default()
    };
    let error = |field: &str| flash.field_error("unit", field);
    let name_error = error("name");
    let lead_error = error("lead");
    view! {
        <div class="field" class:field-invalid=name_error.is_some()>
            <label for="unit-name">"Name"<span class="required" aria-hidden="true">" *"</span></label>
            <input id="unit-name" name="form[name]" maxlength="120" required value=value("name", stored.map(|s| s.name.clone()))
                aria-invalid=name_error.is_some().then_some("true")/>
            {name_error.clone().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
        <div class="field">
            <label for="unit-description">"Description"</label>
            <input id="unit-description" name="form[description]" maxlength="500" value=value("description", stored.map(|s| s.description.clone()))/>
            {error("description").map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
        {(kind == "team").then(|| view! {
            <div class="field" class:field-invalid=lead_error.is_some()>
                <label for="unit-lead">"Lead's email"</label>
                <input id="unit-lead" name="form[lead]" type="email" maxlength="254" value=value("lead", stored.and_then(|s| s.lead.as_ref().map(|l| l.2.clone())))/>
                {lead_error.clone().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            </div>
        })}
    }
    .into_any()
}

/// The list of teams or groups, with a create form.
#[component]
pub fn UnitsPage(kind: &'static str) -> impl IntoView {
    let session = use_session();
    let units = Resource::new(move || kind.to_owned(), list_units);
    view! {
        <Title text=plural(kind)/>
        <h1>{plural(kind)}</h1>
        <p class="lead">{if kind == "team" {
            "CX units with a lead and members. Roles given to a team reach every member."
        } else {
            "Groups of people; a group can sit inside another, and its members inherit the outer group's roles."
        }}</p>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, units) = (session.await, units.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let units = match units { Ok(u) => u, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let may_manage = info.user.as_ref().is_some_and(|u| u.may(if kind == "team" { Permission::TeamManage } else { Permission::GroupManage }));
                let flash = crate::ui::page_flash(&info);
                view! {
                    {if units.is_empty() {
                        view! { <div class="empty"><p>{format!("No {} yet.", plural(kind).to_lowercase())}</p></div> }.into_any()
                    } else if kind == "group" {
                        view! { <nav aria-label="Group tree" class="tree">{group_tree(&units, None, 0)}</nav> }.into_any()
                    } else {
                        view! {
                            <table class="table">
                                <caption class="sr-only">"Teams, by name"</caption>
                                <thead><tr><th scope="col">"Team"</th><th scope="col">"Lead"</th><th scope="col" class="num">"Members"</th><th scope="col">"Description"</th></tr></thead>
                                <tbody>{units.into_iter().map(|u| view! {
                                    <tr>
                                        <td><a href=format!("/teams/{}", u.id)>{u.name}</a></td>
                                        <td>{u.lead.unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{u.member_count}</td>
                                        <td>{u.description}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table>
                        }.into_any()
                    }}
                    {may_manage.then(|| view! {
                        <details class="form-card" open=flash.form.as_deref() == Some("unit")>
                            <summary>{if kind == "team" { "New team…" } else { "New group…" }}</summary>
                            <FormError message=flash.form_error("unit")/>
                            <form method="post" action=CreateUnit::PATH class="stack" novalidate>
                                <CsrfField token=info.csrf_token.clone()/>
                                <input type="hidden" name="kind" value=kind/>
                                {unit_fields(kind, &flash, None)}
                                <div class="actions"><button type="submit" class="button button-primary">"Create"</button></div>
                            </form>
                        </details>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// The group tree as nested lists; a group inside several parents appears under each.
fn group_tree(units: &[UnitSummary], parent: Option<i64>, depth: usize) -> AnyView {
    let level: Vec<&UnitSummary> = units
        .iter()
        .filter(|u| match parent {
            None => u.parents.is_empty(),
            Some(p) => u.parents.contains(&p),
        })
        .collect();
    if level.is_empty() || depth > 20 {
        return ().into_any();
    }
    view! {
        <ul>
            {level.into_iter().map(|u| view! {
                <li>
                    <a href=format!("/groups/{}", u.id)>{u.name.clone()}</a>
                    " "<span class="muted">{format!("({} direct members)", u.member_count)}</span>
                    {group_tree(units, Some(u.id), depth + 1)}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// One team or group.
#[component]
pub fn UnitPage(kind: &'static str) -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let unit = Resource::new(
        move || (kind.to_owned(), id()),
        |(kind, id)| get_unit(kind, id),
    );
    let roles = Resource::new(|| (), |_| list_role_choices());
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, unit) = (session.await, unit.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let unit = match unit { Ok(u) => u, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                let csrf = info.csrf_token.clone();
                let back = format!("{}/{}", path(kind), unit.id);
                let role_choices: Vec<(i64, String)> = roles.await.unwrap_or_default();
                let member_count = unit.members.len();
                view! {
                    <Title text=title_text(&unit.name)/>
                    <p class="breadcrumb"><a href=path(kind)>{plural(kind)}</a>" / "{unit.name.clone()}
                        {crate::ui::components::history_links(&info, kind, unit.id, None)}</p>
                    <h1>{unit.name.clone()}</h1>
                    <dl class="details">
                        <dt>"Description"</dt><dd>{if unit.description.is_empty() { "—".to_owned() } else { unit.description.clone() }}</dd>
                        {(kind == "team").then(|| view! {
                            <dt>"Lead"</dt><dd>{match unit.lead.clone() {
                                Some((id, name, _)) => view! { <a href=format!("/people/{id}")>{name}</a> }.into_any(),
                                None => view! { <span class="muted">"None"</span> }.into_any(),
                            }}</dd>
                        })}
                        {(kind == "group").then(|| view! {
                            <dt>"Inside"</dt><dd>{if unit.parents.is_empty() { view! { <span class="muted">"No other group"</span> }.into_any() } else {
                                unit.parents.iter().map(|(id, name)| view! { <a href=format!("/groups/{id}")>{name.clone()}</a>" " }).collect_view().into_any()
                            }}</dd>
                        })}
                    </dl>
                    {view! { <section aria-labelledby="members-heading">
                        <h2 id="members-heading">{format!("Members ({member_count})")}</h2>
                        <FormError message=flash.form_error("remove").or_else(|| flash.field_error("remove", "remove"))/>
                        {if unit.members.is_empty() {
                            view! { <div class="empty"><p>"No members yet. Paste emails below to add people."</p></div> }.into_any()
                        } else {
                            view! {
                                <form method="post" action=RemoveMembers::PATH class="bulk-form" id="remove-form">
                                    <CsrfField token=csrf.clone()/>
                                    <input type="hidden" name="kind" value=kind/>
                                    <input type="hidden" name="id" value=unit.id.to_string()/>
                                    <table class="table">
                                        <caption class="sr-only">"Members"</caption>
                                        <thead><tr>
                                            {unit.can_manage.then(|| view! { <th scope="col"><span class="sr-only">"Select"</span></th> })}
                                            <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Region"</th>
                                        </tr></thead>
                                        <tbody>{unit.members.iter().map(|m| {
                                            let label = format!("Select {}", m.display_name);
                                            view! {
                                                <tr>
                                                    {unit.can_manage.then(|| view! { <td><input type="checkbox" name="ids[]" value=m.user_id.to_string() aria-label=label/></td> })}
                                                    <td><a href=format!("/people/{}", m.user_id)>{m.display_name.clone()}</a></td>
                                                    <td>{m.email.clone()}</td>
                                                    <td>{m.region.clone().unwrap_or_default()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}</tbody>
                                    </table>
                                    {unit.can_manage.then(|| view! {
                                        <div class="bulk-bar"><button type="submit" class="button button-danger">"Remove selected"</button></div>
                                    })}
                                </form>
                            }.into_any()
                        }}
                        {unit.can_manage.then(|| {
                            let error = flash.field_error("members", "members");
                            view! {
                                <form method="post" action=AddMembers::PATH class="stack form-card" novalidate>
                                    <CsrfField token=csrf.clone()/>
                                    <input type="hidden" name="kind" value=kind/>
                                    <input type="hidden" name="id" value=unit.id.to_string()/>
                                    <FormError message=flash.form_error("members")/>
                                    <div class="field" class:field-invalid=error.is_some()>
                                        <label for="add-members">"Add people"</label>
                                        <p class="hint" id="add-members-hint">"Paste emails separated by commas, spaces or new lines."</p>
                                        <textarea id="add-members" name="members" rows="3" aria-describedby="add-members-hint">{flash.value("members", "members").unwrap_or_default()}</textarea>
                                        {error.clone().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                                    </div>
                                    <div class="actions"><button type="submit" class="button button-primary">"Add members"</button></div>
                                </form>
                            }
                        })}
                    </section> }.into_any()}
                    {(kind == "group").then(|| {
                        let error = flash.field_error("nest", "child");
                        view! {
                            <section aria-labelledby="nested-heading">
                                <h2 id="nested-heading">"Groups inside this group"</h2>
                                <FormError message=flash.form_error("nest")/>
                                {if unit.children.is_empty() {
                                    view! { <p class="muted">"None."</p> }.into_any()
                                } else {
                                    view! { <ul class="plain-list">{unit.children.iter().map(|(id, name)| view! {
                                        <li>
                                            <a href=format!("/groups/{id}")>{name.clone()}</a>
                                            {unit.can_manage.then(|| view! {
                                                <form method="post" action=UnnestGroup::PATH class="inline-form">
                                                    <CsrfField token=csrf.clone()/>
                                                    <input type="hidden" name="parent" value=unit.id.to_string()/>
                                                    <input type="hidden" name="child" value=id.to_string()/>
                                                    <button type="submit" class="link-button" aria-label=format!("Take {name} out")>"Take out"</button>
                                                </form>
                                            })}
                                        </li>
                                    }).collect_view()}</ul> }.into_any()
                                }}
                                {unit.can_manage.then(|| view! {
                                    <form method="post" action=NestGroup::PATH class="filters" novalidate>
                                        <CsrfField token=csrf.clone()/>
                                        <input type="hidden" name="parent" value=unit.id.to_string()/>
                                        <div class="field" class:field-invalid=error.is_some()>
                                            <label for="nest-child">"Put a group inside (name)"</label>
                                            <input id="nest-child" name="child" maxlength="120" value=flash.value("nest", "child").unwrap_or_default()/>
                                            {error.clone().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                                        </div>
                                        <button type="submit" class="button">"Add group"</button>
                                    </form>
                                })}
                            </section>
                        }.into_any()
                    })}
                    <section aria-labelledby="roles-heading">
                        <h2 id="roles-heading">"Roles given to this "{kind}</h2>
                        <AssignmentsTable assignments=unit.assignments.clone() can_revoke=unit.can_assign back=back.clone() show_role=true/>
                        {(unit.can_assign && !role_choices.is_empty()).then(|| view! {
                            <AssignForm flash=flash.clone() csrf=csrf.clone() back=back.clone() roles=role_choices.clone()
                                subject=Some((kind.to_owned(), unit.id.to_string(), unit.name.clone()))/>
                        })}
                    </section>
                    {unit.can_manage.then(|| view! {
                        <section aria-labelledby="edit-heading" class="form-card">
                            <h2 id="edit-heading">"Edit"</h2>
                            <FormError message=flash.form_error("unit")/>
                            <form method="post" action=UpdateUnit::PATH class="stack" novalidate>
                                <CsrfField token=csrf.clone()/>
                                <input type="hidden" name="kind" value=kind/>
                                <input type="hidden" name="id" value=unit.id.to_string()/>
                                {unit_fields(kind, &flash, Some(&unit))}
                                <div class="actions"><button type="submit" class="button button-primary">"Save"</button></div>
                            </form>
                        </section>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// The teams list.
#[component]
pub fn TeamsPage() -> impl IntoView {
    view! { <UnitsPage kind="team"/> }
}

/// The groups list.
#[component]
pub fn GroupsPage() -> impl IntoView {
    view! { <UnitsPage kind="group"/> }
}

/// One team.
#[component]
pub fn TeamPage() -> impl IntoView {
    view! { <UnitPage kind="team"/> }
}

/// One group.
#[component]
pub fn GroupPage() -> impl IntoView {
    view! { <UnitPage kind="group"/> }
}
