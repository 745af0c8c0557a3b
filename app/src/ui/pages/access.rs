//! Roles, the permission catalog, assignments and effective access.

use crate::api::access::{
    get_assignment, get_effective_access, get_my_access, get_permission_holders, get_role,
    list_role_choices, list_roles, CopyRole, CreateAssignment, CreateRole, DeleteRole,
    RevokeAssignment, UpdateRole,
};
use crate::domain::access::{
    AccessPathView, AssignmentView, Holder, RoleDetail, RoleSummary, ScopeAttribute,
};
use crate::domain::flash::Flash;
use crate::domain::permission::{Action, KindGroup, Permission, ResourceKind};
use crate::ui::components::{loading, title_text, CsrfField, ErrorNotice, FormError};
use crate::ui::use_session;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn id_param() -> impl Fn() -> i64 + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    }
}

/// The roles list.
#[component]
pub fn RolesPage() -> impl IntoView {
    let session = use_session();
    let roles = Resource::new(|| (), |_| list_roles());
    view! {
        <Title text="Roles"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let may_manage = session.await.ok().and_then(|s| s.user).is_some_and(|u| u.may(Permission::RoleManage));
                match roles.await {
                    Ok(roles) => view! {
                        <div class="page-header">
                            <h1>"Roles"</h1>
                            <div class="actions">
                                <a class="button" href="/permissions">"Permission catalog"</a>
                                {may_manage.then(|| view! { <a class="button button-primary" href="/roles/new">"New role"</a> })}
                            </div>
                        </div>
                        <p class="lead">"A role is a set of permissions. Built-in roles are read-only templates: copy one to change it."</p>
                        <table class="table">
                            <caption class="sr-only">"Roles, by name"</caption>
                            <thead><tr>
                                <th scope="col">"Role"</th><th scope="col">"Description"</th>
                                <th scope="col" class="num">"Permissions"</th><th scope="col" class="num">"Assignments"</th>
                            </tr></thead>
                            <tbody>{roles.into_iter().map(role_row).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <h1>"Roles"</h1><ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn role_row(role: RoleSummary) -> impl IntoView {
    view! {
        <tr>
            <td>
                <a href=format!("/roles/{}", role.id)>{role.name}</a>
                {role.template.is_some().then(|| view! { " "<span class="badge">"Built-in"</span> })}
            </td>
            <td>{role.description}</td>
            <td class="num">{role.permission_count}</td>
            <td class="num">{role.assignment_count}</td>
        </tr>
    }
}

/// The permission matrix: resource kinds (grouped) × actions, one checkbox per permission of
/// the catalog. A plain form control, so it works with the keyboard and without JavaScript.
fn permission_matrix(
    checked: Vec<String>,
    inherited: Vec<(String, String)>,
    editable: bool,
) -> AnyView {
    view! {
        <fieldset class="matrix-fieldset">
            <legend>"Permissions"</legend>
            <div class="matrix-scroll">
            <table class="table matrix">
                <caption class="sr-only">"Permissions by resource kind and action"</caption>
                <thead><tr>
                    <th scope="col">"Resource"</th>
                    {Action::ALL.into_iter().map(|a| view! { <th scope="col">{a.label()}</th> }).collect_view()}
                </tr></thead>
                {KindGroup::ALL.into_iter().map(|group| {
                    let checked = checked.clone();
                    let inherited = inherited.clone();
                    view! {
                        <tbody>
                            <tr class="matrix-group"><th scope="rowgroup" colspan="10">{group.label()}</th></tr>
                            {ResourceKind::ALL.into_iter().filter(|k| k.group() == group).map(|kind| {
                                let checked = checked.clone();
                                let inherited = inherited.clone();
                                view! {
                                    <tr>
                                        <th scope="row">{kind.label()}</th>
                                        {Action::ALL.into_iter().map(|action| match Permission::of(kind, action) {
                                            Some(p) => {
                                                let code = p.code();
                                                let is_checked = checked.iter().any(|c| c == code);
                                                let via = inherited.iter().find(|(c, _)| c == code).map(|(_, r)| r.clone());
                                                let label = match p.sensitivity() {
                                                    crate::domain::permission::Sensitivity::High => format!("{code} (high sensitivity): {}", p.description()),
                                                    _ => format!("{code}: {}", p.description()),
                                                };
                                                let id = format!("perm-{}", code.replace('.', "-"));
                                                view! {
                                                    <td class=format!("sens-{}", p.sensitivity().label().to_lowercase())>
                                                        <input type="checkbox" id=id name="form[permissions][]" value=code
                                                            checked=is_checked disabled=!editable aria-label=label.clone() title=label/>
                                                        {via.map(|r| view! { <span class="inherited" title=format!("Through {r}")>" ✓"<span class="sr-only">{format!(" through {r}")}</span></span> })}
                                                    </td>
                                                }.into_any()
                                            }
                                            None => view! { <td class="muted"><span aria-hidden="true">"·"</span></td> }.into_any(),
                                        }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    }
                }).collect_view()}
            </table>
            </div>
            <p class="hint">"✓ after a box: held through an included role. Tinted cells are high-sensitivity permissions; their labels say so too."</p>
        </fieldset>
    }
    .into_any()
}

/// The name, description, matrix, includes and owners of a role.
fn role_fields(
    flash: &Flash,
    stored: Option<&RoleDetail>,
    roles: &[RoleSummary],
    editable: bool,
) -> AnyView {
    let value = |field: &str, stored_value: Option<String>| {
        flash
            .value("role", field)
            .or(stored_value)
            .unwrap_or_default()
    };
    let error = |field: &str| flash.field_error("role", field);
    let checked: Vec<String> = match flash.value("role", "permissions") {
        Some(v) => v
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None if flash.form.as_deref() == Some("role") => Vec::new(),
        None => stored.map(|s| s.permissions.clone()).unwrap_or_default(),
    };
    let included: Vec<String> = match flash.value("role", "includes") {
        Some(v) => v.split(',').map(str::to_owned).collect(),
        None if flash.form.as_deref() == Some("role") => Vec::new(),
        None => stored
            .map(|s| s.includes.iter().map(|(id, _)| id.to_string()).collect())
            .unwrap_or_default(),
    };
    let own_id = stored.map(|s| s.id);
    let owners = value(
        "owners",
        stored.map(|s| {
            s.owners
                .iter()
                .map(|(_, e)| e.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }),
    );
    let inherited = stored.map(|s| s.inherited.clone()).unwrap_or_default();
    let name_error = error("name");
    let includes_error = error("includes");
    let permissions_error = error("permissions");
    let owners_error = error("owners");
    view! {
        <div class="field" class:field-invalid=name_error.is_some()>
            <label for="role-name">"Name"<span class="required" aria-hidden="true">" *"</span></label>
            <input id="role-name" name="form[name]" maxlength="120" required value=value("name", stored.map(|s| s.name.clone()))
                disabled=!editable aria-invalid=name_error.is_some().then_some("true") aria-describedby=name_error.is_some().then_some("role-name-error")/>
            {name_error.clone().map(|e| view! { <p class="field-error" id="role-name-error">{e}</p> })}
        </div>
        <div class="field">
            <label for="role-description">"Description"</label>
            <textarea id="role-description" name="form[description]" maxlength="500" rows="2" disabled=!editable>
                {value("description", stored.map(|s| s.description.clone()))}
            </textarea>
            {error("description").map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
        {permissions_error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        {permission_matrix(checked, inherited, editable)}
        <fieldset class="field" class:field-invalid=includes_error.is_some()>
            <legend>"Includes these roles"</legend>
            <p class="hint">"Holders of this role also get everything the included roles hold."</p>
            <div class="checkbox-list">
                {roles.iter().filter(|r| Some(r.id) != own_id).map(|r| {
                    let id = format!("include-{}", r.id);
                    let is_checked = included.iter().any(|i| *i == r.id.to_string());
                    view! {
                        <label for=id.clone()>
                            <input type="checkbox" id=id.clone() name="form[includes][]" value=r.id.to_string() checked=is_checked disabled=!editable/>
                            " "{r.name.clone()}
                        </label>
                    }
                }).collect_view()}
            </div>
            {includes_error.clone().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </fieldset>
        <div class="field">
            <label for="role-requires-mfa">
                <input type="checkbox" id="role-requires-mfa" name="form[requires_mfa]" value="on" disabled=!editable
                    checked=match flash.value("role", "requires_mfa") {
                        Some(v) => !v.is_empty(),
                        None => stored.is_some_and(|s| s.requires_mfa),
                    }/>
                " People holding this role must use a second factor"
            </label>
        </div>
        <div class="field" class:field-invalid=owners_error.is_some()>
            <label for="role-owners">"Owners"</label>
            <p class="hint" id="role-owners-hint">"Emails of the people who answer for this role, separated by commas."</p>
            <input id="role-owners" name="form[owners]" value=owners disabled=!editable aria-describedby="role-owners-hint"/>
            {owners_error.clone().map(|e| view! { <p class="field-error">{e}</p> })}
        </div>
    }
    .into_any()
}

/// Create a role.
#[component]
pub fn NewRolePage() -> impl IntoView {
    let session = use_session();
    let roles = Resource::new(|| (), |_| list_roles());
    view! {
        <Title text="New role"/>
        <p class="breadcrumb"><a href="/roles">"Roles"</a>" / New role"</p>
        <h1>"New role"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, roles) = (session.await, roles.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let roles = match roles { Ok(r) => r, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                view! {
                    <FormError message=flash.form_error("role")/>
                    <form method="post" action=CreateRole::PATH class="stack form-card wide" novalidate>
                        <CsrfField token=info.csrf_token.clone()/>
                        {role_fields(&flash, None, &roles, true)}
                        <div class="actions">
                            <button type="submit" class="button button-primary">"Create role"</button>
                            <a href="/roles" class="button">"Cancel"</a>
                        </div>
                    </form>
                }.into_any()
            })}
        </Suspense>
    }
}

/// One role: matrix, includes, owners, who holds it, and its assignments.
#[component]
pub fn RolePage() -> impl IntoView {
    let session = use_session();
    let id = id_param();
    let role = Resource::new(id, get_role);
    let roles = Resource::new(|| (), |_| list_roles());
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, role, roles) = (session.await, role.await, roles.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let role = match role { Ok(r) => r, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let roles = roles.unwrap_or_default();
                let flash = crate::ui::page_flash(&info);
                let back = format!("/roles/{}", role.id);
                let csrf = info.csrf_token.clone();
                let may_copy = info.user.as_ref().is_some_and(|u| u.may(Permission::RoleManage));
                view! {
                    <Title text=title_text(&role.name)/>
                    <p class="breadcrumb"><a href="/roles">"Roles"</a>" / "{role.name.clone()}
                        {crate::ui::components::history_links(&info, "role", role.id, None)}</p>
                    <div class="page-header">
                        <h1>{role.name.clone()}{role.template.is_some().then(|| view! { " "<span class="badge">"Built-in"</span> })}</h1>
                        <div class="actions">
                            {may_copy.then(|| view! {
                                <form method="post" action=CopyRole::PATH>
                                    <CsrfField token=csrf.clone()/>
                                    <input type="hidden" name="id" value=role.id.to_string()/>
                                    <button type="submit" class="button">"Copy role"</button>
                                </form>
                            })}
                            {role.editable.then(|| view! { <a class="button button-danger" href=format!("/roles/{}/delete", role.id)>"Delete…"</a> })}
                        </div>
                    </div>
                    <FormError message=flash.form_error("copy")/>
                    {role.template.is_some().then(|| view! {
                        <p class="notice notice-warning">"This is a built-in template and cannot be changed. Copy it to make your own version."</p>
                    })}
                    <section aria-labelledby="def-heading" class="form-card wide">
                        <h2 id="def-heading">"Definition"</h2>
                        <FormError message=flash.form_error("role")/>
                        <form method="post" action=UpdateRole::PATH class="stack" novalidate>
                            <CsrfField token=csrf.clone()/>
                            <input type="hidden" name="id" value=role.id.to_string()/>
                            {role_fields(&flash, Some(&role), &roles, role.editable)}
                            {role.editable.then(|| view! {
                                <div class="actions"><button type="submit" class="button button-primary">"Save role"</button></div>
                            })}
                        </form>
                    </section>
                    <section aria-labelledby="holders-heading">
                        <h2 id="holders-heading">"Who holds this role"</h2>
                        <HoldersTable holders=role.holders.clone()/>
                    </section>
                    <section aria-labelledby="assignments-heading">
                        <h2 id="assignments-heading">"Assignments"</h2>
                        <AssignmentsTable assignments=role.assignments.clone() can_revoke=role.can_assign back=back.clone() show_role=false/>
                        {role.can_assign.then(|| view! {
                            <AssignForm flash=flash.clone() csrf=csrf.clone() back=back.clone() roles=vec![(role.id, role.name.clone())] subject=None/>
                        })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Everyone holding a role or permission, with the path.
#[component]
pub fn HoldersTable(holders: Vec<Holder>) -> impl IntoView {
    if holders.is_empty() {
        return view! { <div class="empty"><p>"Nobody holds this now."</p></div> }.into_any();
    }
    view! {
        <table class="table">
            <caption class="sr-only">"People who hold it, and through what"</caption>
            <thead><tr><th scope="col">"Person"</th><th scope="col">"Through"</th><th scope="col">"Scope"</th><th scope="col">"When"</th></tr></thead>
            <tbody>
                {holders.into_iter().map(|h| view! {
                    <tr>
                        <td><a href=format!("/people/{}", h.user_id)>{h.display_name}</a><br/><span class="muted">{h.email}</span></td>
                        <td>{h.through}</td>
                        <td>{h.scope}</td>
                        <td>{h.window}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// Assignments with a revoke link each.
#[component]
pub fn AssignmentsTable(
    assignments: Vec<AssignmentView>,
    can_revoke: bool,
    back: String,
    show_role: bool,
) -> impl IntoView {
    if assignments.is_empty() {
        return view! { <div class="empty"><p>"No roles are given here yet."</p></div> }.into_any();
    }
    view! {
        <table class="table">
            <caption class="sr-only">"Assignments"</caption>
            <thead><tr>
                <th scope="col">{if show_role { "Role" } else { "Given to" }}</th>
                <th scope="col">"Scope"</th><th scope="col">"Starts"</th><th scope="col">"Ends"</th><th scope="col">"State"</th>
                {can_revoke.then(|| view! { <th scope="col"><span class="sr-only">"Actions"</span></th> })}
            </tr></thead>
            <tbody>
                {assignments.into_iter().map(|a| {
                    let who = if show_role {
                        view! { <a href=format!("/roles/{}", a.role_id)>{a.role_name.clone()}</a> }.into_any()
                    } else {
                        let href = match a.subject_kind.as_str() { "user" => "people", "team" => "teams", _ => "groups" };
                        view! { <a href=format!("/{href}/{}", a.subject_id)>{a.subject_name.clone()}</a>" "<span class="muted">"("{a.subject_kind.clone()}")"</span> }.into_any()
                    };
                    let revoke = format!("/assignments/{}/revoke?back={}", a.id, back);
                    let label = format!("Revoke {} from {}", a.role_name, a.subject_name);
                    view! {
                        <tr>
                            <td>{who}</td>
                            <td>{a.scope}</td>
                            <td>{a.starts_at.unwrap_or_else(|| "—".into())}</td>
                            <td>{a.ends_at.unwrap_or_else(|| "never".into())}</td>
                            <td><span class=format!("badge badge-{}", a.state)>{a.state.clone()}</span></td>
                            {can_revoke.then(|| view! { <td><a href=revoke aria-label=label>"Revoke…"</a></td> })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// Checkboxes for one scope attribute.
fn scope_checkboxes(attribute: ScopeAttribute, field: &'static str, chosen: &[String]) -> AnyView {
    view! {
        <fieldset class="inline-choices">
            <legend>{attribute.label()}</legend>
            {attribute.values().iter().map(|v| {
                let id = format!("scope-{field}-{v}");
                let is_checked = chosen.iter().any(|c| c == v);
                view! {
                    <label for=id.clone()>
                        <input type="checkbox" id=id.clone() name=format!("form[{field}][]") value=*v checked=is_checked/>" "{*v}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
    .into_any()
}

/// Gives a role: either one of `roles` to a subject typed in, or (with `subject`) any role to
/// a fixed person, team or group.
#[component]
pub fn AssignForm(
    flash: Flash,
    csrf: String,
    back: String,
    /// The roles to choose from.
    roles: Vec<(i64, String)>,
    /// (kind, identifier, name) when the subject is fixed.
    subject: Option<(String, String, String)>,
) -> impl IntoView {
    let value = |field: &str| flash.value("assign", field).unwrap_or_default();
    let list = |field: &str| -> Vec<String> {
        value(field)
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let error = |field: &str| flash.field_error("assign", field);
    let chosen_role = value("role_id");
    let chosen_kind = value("subject_kind");
    view! {
        <details class="form-card" open=flash.form.as_deref() == Some("assign")>
            <summary>"Give a role…"</summary>
            <FormError message=flash.form_error("assign")/>
            <form method="post" action=CreateAssignment::PATH class="stack" novalidate>
                <CsrfField token=csrf/>
                <input type="hidden" name="back" value=back/>
                <div class="field-row">
                    <div class="field" class:field-invalid=error("role_id").is_some()>
                        <label for="assign-role">"Role"</label>
                        <select id="assign-role" name="form[role_id]">
                            {roles.into_iter().map(|(id, name)| {
                                let selected = chosen_role == id.to_string();
                                view! { <option value=id.to_string() selected=selected>{name}</option> }
                            }).collect_view()}
                        </select>
                        {error("role_id").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    </div>
                    {match subject {
                        Some((kind, ident, name)) => view! {
                            <input type="hidden" name="form[subject_kind]" value=kind/>
                            <input type="hidden" name="form[subject]" value=ident/>
                            <p class="field">"To "<strong>{name}</strong></p>
                        }.into_any(),
                        None => view! {
                            <div class="field">
                                <label for="assign-kind">"Give to"</label>
                                <select id="assign-kind" name="form[subject_kind]">
                                    {[("team", "A team"), ("group", "A group"), ("user", "A person")].into_iter().map(|(k, l)| {
                                        let selected = chosen_kind == k;
                                        view! { <option value=k selected=selected>{l}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div class="field" class:field-invalid=error("subject").is_some()>
                                <label for="assign-subject">"Team or group name, or person's email"</label>
                                <input id="assign-subject" name="form[subject]" value=value("subject") maxlength="254"/>
                                {error("subject").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                            </div>
                        }.into_any(),
                    }}
                </div>
                <fieldset class="field">
                    <legend>"Scope"</legend>
                    <p class="hint">"Leave everything unticked for the whole organisation. Ticked values limit the role to records with those values."</p>
                    {scope_checkboxes(ScopeAttribute::Region, "regions", &list("regions"))}
                    {scope_checkboxes(ScopeAttribute::ProductLine, "product_lines", &list("product_lines"))}
                    {scope_checkboxes(ScopeAttribute::Segment, "segments", &list("segments"))}
                    {scope_checkboxes(ScopeAttribute::Channel, "channels", &list("channels"))}
                    {error("scope").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </fieldset>
                <div class="field-row">
                    <div class="field" class:field-invalid=error("starts_at").is_some()>
                        <label for="assign-start">"Starts (UTC)"</label>
                        <input id="assign-start" type="datetime-local" name="form[starts_at]" value=value("starts_at")/>
                        {error("starts_at").map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field" class:field-invalid=error("ends_at").is_some()>
                        <label for="assign-end">"Ends (UTC)"</label>
                        <input id="assign-end" type="datetime-local" name="form[ends_at]" value=value("ends_at")/>
                        {error("ends_at").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    </div>
                </div>
                <div class="actions"><button type="submit" class="button button-primary">"Give role"</button></div>
            </form>
        </details>
    }
    .into_any()
}

/// Confirmation before deleting a role.
#[component]
pub fn DeleteRolePage() -> impl IntoView {
    let session = use_session();
    let id = id_param();
    let role = Resource::new(id, get_role);
    view! {
        <Title text="Delete role"/>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, role) = (session.await, role.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let role = match role { Ok(r) => r, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                view! {
                    <p class="breadcrumb"><a href="/roles">"Roles"</a>" / "<a href=format!("/roles/{}", role.id)>{role.name.clone()}</a>" / Delete"</p>
                    <h1>"Delete "{role.name.clone()}"?"</h1>
                    <FormError message=flash.form_error("delete").or_else(|| flash.field_error("delete", "role"))/>
                    <div class="notice notice-warning">
                        <p>{format!("{} assignment(s) of this role will be taken away at once; {} people hold it now.", role.assignments.len(), role.holders.len())}</p>
                    </div>
                    <form method="post" action=DeleteRole::PATH class="actions">
                        <CsrfField token=info.csrf_token.clone()/>
                        <input type="hidden" name="id" value=role.id.to_string()/>
                        <button type="submit" class="button button-danger">"Delete role"</button>
                        <a href=format!("/roles/{}", role.id) class="button">"Cancel"</a>
                    </form>
                }.into_any()
            })}
        </Suspense>
    }
}

/// Confirmation before taking an assignment away.
#[component]
pub fn RevokeAssignmentPage() -> impl IntoView {
    let session = use_session();
    let id = id_param();
    let query = use_query_map();
    let back = move || {
        crate::api::access::safe_back(&query.read().get("back").unwrap_or_default(), "/roles")
    };
    let assignment = Resource::new(id, get_assignment);
    view! {
        <Title text="Take a role away"/>
        <h1>"Take a role away"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, a) = (session.await, assignment.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let a = match a { Ok(a) => a, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                let flash = crate::ui::page_flash(&info);
                let back = back();
                view! {
                    <FormError message=flash.form_error("revoke").or_else(|| flash.field_error("revoke", "assignment"))/>
                    <div class="notice notice-warning">
                        <p>{format!("{} ({}) will lose the role {} ({}) at once.", a.subject_name, a.subject_kind, a.role_name, a.scope)}</p>
                    </div>
                    <form method="post" action=RevokeAssignment::PATH class="actions">
                        <CsrfField token=info.csrf_token.clone()/>
                        <input type="hidden" name="id" value=a.id.to_string()/>
                        <input type="hidden" name="back" value=back.clone()/>
                        <button type="submit" class="button button-danger">"Take the role away"</button>
                        <a href=back class="button">"Cancel"</a>
                    </form>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The permission catalog, read-only.
#[component]
pub fn PermissionsPage() -> impl IntoView {
    view! {
        <Title text="Permission catalog"/>
        <p class="breadcrumb"><a href="/roles">"Roles"</a>" / Permission catalog"</p>
        <h1>"Permission catalog"</h1>
        <p class="lead">"Every permission Castellan knows, defined once in code. Open one to see who holds it."</p>
        <table class="table">
            <caption class="sr-only">"Permissions by resource kind"</caption>
            <thead><tr><th scope="col">"Permission"</th><th scope="col">"What it allows"</th><th scope="col">"Sensitivity"</th></tr></thead>
            {KindGroup::ALL.into_iter().map(|group| view! {
                <tbody>
                    <tr class="matrix-group"><th scope="rowgroup" colspan="3">{group.label()}</th></tr>
                    {Permission::ALL.iter().copied().filter(|p| p.kind().group() == group).map(|p| view! {
                        <tr>
                            <td><a href=format!("/permissions/{}", p.code())><code>{p.code()}</code></a></td>
                            <td>{p.description()}</td>
                            <td><span class=format!("badge sens-badge-{}", p.sensitivity().label().to_lowercase())>{p.sensitivity().label()}</span></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            }).collect_view()}
        </table>
    }
}

/// Who holds one permission, and through what.
#[component]
pub fn PermissionPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let holders = Resource::new(code, get_permission_holders);
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match holders.await {
                    Ok(h) => {
                        let description = Permission::parse(&h.code).map(|p| p.description()).unwrap_or_default();
                        view! {
                            <Title text=h.code.clone()/>
                            <p class="breadcrumb"><a href="/permissions">"Permission catalog"</a>" / "{h.code.clone()}</p>
                            <h1><code>{h.code.clone()}</code></h1>
                            <p class="lead">{description}</p>
                            <h2>"Roles that hold it"</h2>
                            {if h.roles.is_empty() {
                                view! { <p class="empty">"No role holds it."</p> }.into_any()
                            } else {
                                view! { <ul class="plain-list">{h.roles.into_iter().map(|(id, name)| view! { <li><a href=format!("/roles/{id}")>{name}</a></li> }).collect_view()}</ul> }.into_any()
                            }}
                            <h2>"Who has it, and through what"</h2>
                            <HoldersTable holders=h.holders/>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Paths to every permission, grouped by permission.
#[component]
pub fn AccessPaths(paths: Vec<AccessPathView>) -> impl IntoView {
    if paths.is_empty() {
        return view! { <div class="empty"><p>"No permissions: nothing has been given yet."</p></div> }.into_any();
    }
    view! {
        <table class="table">
            <caption class="sr-only">"Effective access: each permission and the path that gives it"</caption>
            <thead><tr><th scope="col">"Permission"</th><th scope="col">"Path"</th><th scope="col">"Scope"</th></tr></thead>
            <tbody>
                {paths.into_iter().map(|p| view! {
                    <tr><td><code>{p.permission}</code></td><td class="path">{p.path}</td><td>{p.scope}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// A person's effective access and the roles given to them directly (on their page). Placed
/// beside the page's own `Suspense`, not inside it, so its data is part of the first render.
#[component]
pub fn PersonAccess(user_id: Signal<i64>) -> impl IntoView {
    let session = use_session();
    let access = Resource::new(move || user_id.get(), get_effective_access);
    let roles = Resource::new(|| (), |_| list_role_choices());
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let (info, access, roles) = (session.await, access.await, roles.await);
                let info = match info { Ok(info) => info, Err(error) => return view! { <ErrorNotice error/> }.into_any() };
                // Nothing to add when the person page itself is refused or missing.
                let Ok(access) = access else { return ().into_any() };
                let can_assign = info.user.as_ref().is_some_and(|u| u.may(Permission::RoleAssign));
                let role_choices: Vec<(i64, String)> = roles.unwrap_or_default();
                let back = format!("/people/{}", access.user_id);
                let flash = crate::ui::page_flash(&info);
                view! {
                    <section aria-labelledby="access-heading">
                        <h2 id="access-heading">"Effective access"</h2>
                        <p class="hint">"Every permission they hold now, and exactly how."</p>
                        <AccessPaths paths=access.paths/>
                    </section>
                    <section aria-labelledby="direct-heading">
                        <h2 id="direct-heading">"Roles given directly"</h2>
                        <AssignmentsTable assignments=access.direct can_revoke=can_assign back=back.clone() show_role=true/>
                        {(can_assign && !role_choices.is_empty()).then(|| view! {
                            <AssignForm flash=flash.clone() csrf=info.csrf_token.clone() back=back.clone() roles=role_choices.clone()
                                subject=Some(("user".to_owned(), access.email.clone(), access.display_name.clone()))/>
                        })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The signed-in person's own access.
#[component]
pub fn MyAccess() -> impl IntoView {
    let access = Resource::new(|| (), |_| get_my_access());
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match access.await {
                    Ok(paths) => view! { <AccessPaths paths/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
