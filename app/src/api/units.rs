//! Teams and groups. Team functions need `team.*`, group functions `group.*`; the service
//! checks the same through the grant's type.

use crate::domain::access::{UnitDetail, UnitForm, UnitSummary};
use crate::domain::AppError;
use leptos::prelude::*;

/// Every team or group ("team" or "group"). Needs `team.view` or `group.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "units/list")]
pub async fn list_units(kind: String) -> Result<Vec<UnitSummary>, AppError> {
    use crate::server::authz::{authorize, GroupView, TeamView};
    use crate::server::ctx::RequestCtx;
    use crate::server::services::units;

    let ctx = RequestCtx::load().await?;
    let result = match kind.as_str() {
        "team" => match authorize::<TeamView>(&ctx).await {
            Ok(grant) => units::list(&ctx.state, &grant).await,
            Err(e) => Err(e),
        },
        "group" => match authorize::<GroupView>(&ctx).await {
            Ok(grant) => units::list(&ctx.state, &grant).await,
            Err(e) => Err(e),
        },
        _ => Err(AppError::NotFound),
    };
    result.map_err(|e| ctx.fail(e))
}

/// One team or group. Needs `team.view` or `group.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "units/get")]
pub async fn get_unit(kind: String, id: i64) -> Result<UnitDetail, AppError> {
    use crate::server::authz::{authorize, GroupView, TeamView};
    use crate::server::ctx::RequestCtx;
    use crate::server::services::units;

    let ctx = RequestCtx::load().await?;
    let result = match kind.as_str() {
        "team" => match authorize::<TeamView>(&ctx).await {
            Ok(grant) => units::get(&ctx.state, &grant, id).await,
            Err(e) => Err(e),
        },
        "group" => match authorize::<GroupView>(&ctx).await {
            Ok(grant) => units::get(&ctx.state, &grant, id).await,
            Err(e) => Err(e),
        },
        _ => Err(AppError::NotFound),
    };
    result.map_err(|e| ctx.fail(e))
}

/// The list page of a kind: "/teams" or "/groups".
#[cfg(feature = "ssr")]
fn list_path(kind: &str) -> String {
    if kind == "team" {
        "/teams".into()
    } else {
        "/groups".into()
    }
}

/// What a unit form post asks for.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitChange {
    Create,
    Update(i64),
    AddMembers(i64),
    RemoveMembers(i64),
}

#[cfg(feature = "ssr")]
async fn change_unit(
    kind: &str,
    change: UnitChange,
    form: &UnitForm,
    text: &str,
) -> Result<i64, AppError> {
    use crate::server::authz::Grant;
    use crate::server::authz::{authorize, GroupManage, TeamManage};
    use crate::server::ctx::RequestCtx;
    use crate::server::services::units::{self, ManagesUnits};

    async fn run<P: ManagesUnits>(
        ctx: &RequestCtx,
        grant: Grant<P>,
        change: UnitChange,
        form: &UnitForm,
        text: &str,
    ) -> Result<(i64, String), AppError> {
        match change {
            UnitChange::Create => {
                let input = form.parse().map_err(AppError::Validation)?;
                let id = units::create(&ctx.state, &grant, &input, &ctx.client).await?;
                Ok((id, format!("{} was created.", input.name.as_str())))
            }
            UnitChange::Update(id) => {
                let input = form.parse().map_err(AppError::Validation)?;
                units::update(&ctx.state, &grant, id, &input, &ctx.client).await?;
                Ok((id, "Changes saved.".into()))
            }
            UnitChange::AddMembers(id) => {
                let emails = crate::domain::access::parse_email_list(text)
                    .map_err(|e| AppError::field("members", e))?;
                let n = units::add_members(&ctx.state, &grant, id, &emails, &ctx.client).await?;
                Ok((
                    id,
                    match n {
                        0 => "They were all members already.".to_owned(),
                        1 => "1 member added.".to_owned(),
                        n => format!("{n} members added."),
                    },
                ))
            }
            UnitChange::RemoveMembers(id) => {
                let ids = crate::api::people::parse_ids(text)
                    .map_err(|_| AppError::field("remove", "Select at least one member."))?;
                let n = units::remove_members(&ctx.state, &grant, id, &ids, &ctx.client).await?;
                Ok((id, format!("{n} removed.")))
            }
        }
    }

    let ctx = RequestCtx::load().await?;
    let (form_name, back) = match change {
        UnitChange::Create => ("unit", format!("{}/new", list_path(kind))),
        UnitChange::Update(id) => ("unit", format!("{}/{id}", list_path(kind))),
        UnitChange::AddMembers(id) => ("members", format!("{}/{id}", list_path(kind))),
        UnitChange::RemoveMembers(id) => ("remove", format!("{}/{id}", list_path(kind))),
    };
    let result = match kind {
        "team" => match authorize::<TeamManage>(&ctx).await {
            Ok(grant) => {
                members_step_up(&ctx, change, text, &back).await?;
                run(&ctx, grant, change, form, text).await
            }
            Err(e) => return Err(ctx.fail(e)),
        },
        "group" => match authorize::<GroupManage>(&ctx).await {
            Ok(grant) => {
                members_step_up(&ctx, change, text, &back).await?;
                run(&ctx, grant, change, form, text).await
            }
            Err(e) => return Err(ctx.fail(e)),
        },
        _ => return Err(ctx.fail(AppError::NotFound)),
    };
    match result {
        Ok((id, notice)) => {
            ctx.succeed(notice, &format!("{}/{id}", list_path(kind)))
                .await;
            Ok(id)
        }
        Err(e) => {
            let values = if form_name == "unit" {
                serde_json::to_value(form).unwrap_or_default()
            } else {
                serde_json::json!({ "members": text })
            };
            Err(ctx.fail_form(form_name, &values, &back, e).await)
        }
    }
}

/// Members receive the unit's roles: adding them is as sensitive as giving a role.
#[cfg(feature = "ssr")]
async fn members_step_up(
    ctx: &crate::server::ctx::RequestCtx,
    change: UnitChange,
    text: &str,
    back: &str,
) -> Result<(), AppError> {
    match change {
        UnitChange::AddMembers(_) => {
            ctx.require_step_up("members", &serde_json::json!({ "members": text }), back)
                .await
        }
        _ => Ok(()),
    }
}

/// Creates a team or group. Needs `team.manage` or `group.manage`.
#[server(endpoint = "units/create")]
pub async fn create_unit(kind: String, form: UnitForm) -> Result<i64, AppError> {
    change_unit(&kind, UnitChange::Create, &form, "").await
}

/// Renames a team or group, changes its description and lead. Needs `team.manage` or
/// `group.manage`.
#[server(endpoint = "units/update")]
pub async fn update_unit(kind: String, id: i64, form: UnitForm) -> Result<i64, AppError> {
    change_unit(&kind, UnitChange::Update(id), &form, "").await
}

/// Adds people by pasted emails. Needs `team.manage` or `group.manage`, and the unit's roles
/// within the actor's own access.
#[server(endpoint = "units/add_members")]
pub async fn add_members(kind: String, id: i64, members: String) -> Result<i64, AppError> {
    change_unit(
        &kind,
        UnitChange::AddMembers(id),
        &UnitForm::default(),
        &members,
    )
    .await
}

/// Removes the selected members (one `ids[]` per checked box). Needs `team.manage` or `group.manage`.
#[server(endpoint = "units/remove_members")]
pub async fn remove_members(
    kind: String,
    id: i64,
    #[server(default)] ids: Vec<String>,
) -> Result<i64, AppError> {
    change_unit(
        &kind,
        UnitChange::RemoveMembers(id),
        &UnitForm::default(),
        &ids.join(","),
    )
    .await
}

/// Nests a group (by name or id) inside another. Needs `group.manage`; cycles are refused.
#[server(endpoint = "groups/nest")]
pub async fn nest_group(parent: i64, child: String) -> Result<(), AppError> {
    use crate::server::authz::{authorize, GroupManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = format!("/groups/{parent}");
    let grant = authorize::<GroupManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("nest", &serde_json::json!({ "child": child }), &back)
        .await?;
    match crate::server::services::units::nest_group(
        &ctx.state,
        &grant,
        parent,
        &child,
        &ctx.client,
    )
    .await
    {
        Ok(name) => {
            ctx.succeed(format!("{name} is now inside this group."), &back)
                .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("nest", &serde_json::json!({ "child": child }), &back, e)
            .await),
    }
}

/// Takes a group out of another. Needs `group.manage`.
#[server(endpoint = "groups/unnest")]
pub async fn unnest_group(parent: i64, child: i64) -> Result<(), AppError> {
    use crate::server::authz::{authorize, GroupManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = format!("/groups/{parent}");
    let grant = authorize::<GroupManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    match crate::server::services::units::unnest_group(
        &ctx.state,
        &grant,
        parent,
        child,
        &ctx.client,
    )
    .await
    {
        Ok(()) => {
            ctx.succeed("Group taken out.", &back).await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("nest", &serde_json::json!({}), &back, e)
            .await),
    }
}
