//! Roles, permissions, assignments and effective access.

use crate::domain::access::{
    AccessPathView, AssignmentForm, AssignmentView, PermissionHolders, RoleDetail, RoleForm,
    RoleSummary,
};
use crate::domain::AppError;
use leptos::prelude::*;

/// A return path from a form: only a console path made of letters, digits and slashes, so no
/// raw input reaches a Location header.
pub fn safe_back(back: &str, default: &str) -> String {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && back.len() <= 100
        && back
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-');
    if ok {
        back.to_owned()
    } else {
        default.to_owned()
    }
}

/// Every role of the organisation. Needs `role.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "roles/list")]
pub async fn list_roles() -> Result<Vec<RoleSummary>, AppError> {
    use crate::server::authz::{authorize, RoleView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<RoleView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    crate::server::services::access::list_roles(&ctx.state, &grant)
        .await
        .map_err(|e| ctx.fail(e))
}

/// The roles the caller may choose from when giving a role: every role of the organisation
/// when they hold `role.assign`, none otherwise. Not holding it is not an attempt, so nothing
/// is audited; giving a role is checked again, in full, when it is posted.
#[server(input = server_fn::codec::GetUrl, endpoint = "roles/choices")]
pub async fn list_role_choices() -> Result<Vec<(i64, String)>, AppError> {
    use crate::server::authz::{optional, RoleAssign};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let Some(grant) = optional::<RoleAssign>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?
    else {
        return Ok(Vec::new());
    };
    crate::server::services::access::role_choices(&ctx.state, &grant)
        .await
        .map_err(|e| ctx.fail(e))
}

/// One role with its permissions, members and assignments. Needs `role.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "roles/get")]
pub async fn get_role(id: i64) -> Result<RoleDetail, AppError> {
    use crate::server::authz::{authorize, RoleView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<RoleView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    crate::server::services::access::get_role(&ctx.state, &grant, id)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Creates a custom role. Needs `role.manage`, and no permission the actor lacks.
#[server(endpoint = "roles/create")]
pub async fn create_role(form: RoleForm) -> Result<i64, AppError> {
    use crate::server::authz::{authorize, RoleManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = "/roles/new";
    let grant = authorize::<RoleManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("role", &form, back).await?;
    let input = match form.parse() {
        Ok(input) => input,
        Err(errors) => {
            return Err(ctx
                .fail_form("role", &form, back, AppError::Validation(errors))
                .await)
        }
    };
    match crate::server::services::access::create_role(&ctx.state, &grant, &input, &ctx.client)
        .await
    {
        Ok(id) => {
            ctx.succeed(
                format!("Role {} was created.", input.name.as_str()),
                &format!("/roles/{id}"),
            )
            .await;
            Ok(id)
        }
        Err(e) => Err(ctx.fail_form("role", &form, back, e).await),
    }
}

/// Changes a custom role. Needs `role.manage`, and no added permission the actor lacks.
#[server(endpoint = "roles/update")]
pub async fn update_role(id: i64, form: RoleForm) -> Result<(), AppError> {
    use crate::server::authz::{authorize, RoleManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = format!("/roles/{id}");
    let grant = authorize::<RoleManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("role", &form, &back).await?;
    let input = match form.parse() {
        Ok(input) => input,
        Err(errors) => {
            return Err(ctx
                .fail_form("role", &form, &back, AppError::Validation(errors))
                .await)
        }
    };
    match crate::server::services::access::update_role(&ctx.state, &grant, id, &input, &ctx.client)
        .await
    {
        Ok(()) => {
            ctx.succeed("Role saved.", &back).await;
            Ok(())
        }
        Err(e) => Err(ctx.fail_form("role", &form, &back, e).await),
    }
}

/// Copies a role into a new custom role. Needs `role.manage`.
#[server(endpoint = "roles/copy")]
pub async fn copy_role(id: i64) -> Result<i64, AppError> {
    use crate::server::authz::{authorize, RoleManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = format!("/roles/{id}");
    let grant = authorize::<RoleManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("copy", &serde_json::json!({}), &back)
        .await?;
    match crate::server::services::access::copy_role(&ctx.state, &grant, id, &ctx.client).await {
        Ok(new_id) => {
            ctx.succeed(
                "Copied. Change the copy as you need.",
                &format!("/roles/{new_id}"),
            )
            .await;
            Ok(new_id)
        }
        Err(e) => Err(ctx
            .fail_form("copy", &serde_json::json!({}), &back, e)
            .await),
    }
}

/// Deletes a custom role and its assignments. Needs `role.manage`.
#[server(endpoint = "roles/delete")]
pub async fn delete_role(id: i64) -> Result<(), AppError> {
    use crate::server::authz::{authorize, RoleManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = format!("/roles/{id}/delete");
    let grant = authorize::<RoleManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("delete", &serde_json::json!({}), &back)
        .await?;
    match crate::server::services::access::delete_role(&ctx.state, &grant, id, &ctx.client).await {
        Ok(name) => {
            ctx.succeed(format!("Role {name} was deleted."), "/roles")
                .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("delete", &serde_json::json!({}), &back, e)
            .await),
    }
}

/// Who holds a permission, and through what. Needs `role.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "permissions/holders")]
pub async fn get_permission_holders(code: String) -> Result<PermissionHolders, AppError> {
    use crate::server::authz::{authorize, RoleView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<RoleView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    let permission = crate::domain::permission::Permission::parse(&code)
        .ok_or(AppError::NotFound)
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::access::permission_holders(&ctx.state, &grant, permission)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Gives a role to a person, team or group. Needs `role.assign`, and every permission of the
/// role over the scope given.
#[server(endpoint = "assignments/create")]
pub async fn create_assignment(form: AssignmentForm, back: String) -> Result<i64, AppError> {
    use crate::server::authz::{authorize, RoleAssign};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = safe_back(&back, "/roles");
    let grant = authorize::<RoleAssign>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("assign", &form, &back).await?;
    let input = match form.parse(ctx.state.now()) {
        Ok(input) => input,
        Err(errors) => {
            return Err(ctx
                .fail_form("assign", &form, &back, AppError::Validation(errors))
                .await)
        }
    };
    match crate::server::services::access::create_assignment(
        &ctx.state,
        &grant,
        &input,
        &ctx.client,
    )
    .await
    {
        Ok(id) => {
            ctx.succeed("Role given.", &back).await;
            Ok(id)
        }
        Err(e) => Err(ctx.fail_form("assign", &form, &back, e).await),
    }
}

/// One assignment, for the revoke confirmation. Needs `role.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "assignments/get")]
pub async fn get_assignment(id: i64) -> Result<AssignmentView, AppError> {
    use crate::server::authz::{authorize, RoleView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<RoleView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    crate::server::services::access::get_assignment(&ctx.state, &grant, id)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Takes an assignment away. Needs `role.assign` over its scope.
#[server(endpoint = "assignments/revoke")]
pub async fn revoke_assignment(id: i64, back: String) -> Result<(), AppError> {
    use crate::server::authz::{authorize, RoleAssign};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = safe_back(&back, "/roles");
    let grant = authorize::<RoleAssign>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up(
        "revoke",
        &serde_json::json!({}),
        &format!("/assignments/{id}/revoke"),
    )
    .await?;
    match crate::server::services::access::revoke_assignment(&ctx.state, &grant, id, &ctx.client)
        .await
    {
        Ok(()) => {
            ctx.succeed("Role taken away.", &back).await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form(
                "revoke",
                &serde_json::json!({}),
                &format!("/assignments/{id}/revoke"),
                e,
            )
            .await),
    }
}

/// A person's effective access with every path, and the roles given to them directly. Needs
/// `user.view` over the person.
#[server(input = server_fn::codec::GetUrl, endpoint = "people/access")]
pub async fn get_effective_access(
    user_id: i64,
) -> Result<crate::domain::access::EffectiveAccess, AppError> {
    use crate::server::authz::{authorize, UserView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<UserView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    crate::server::services::access::effective_access(&ctx.state, &grant, user_id)
        .await
        .map_err(|e| ctx.fail(e))
}

/// The caller's own access with every path. Needs no permission: it only describes the caller.
#[server(input = server_fn::codec::GetUrl, endpoint = "me/access")]
pub async fn get_my_access() -> Result<Vec<AccessPathView>, AppError> {
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let access = ctx.access().await.map_err(|e| ctx.fail(e))?;
    Ok(access.snapshot.paths(access.now))
}
