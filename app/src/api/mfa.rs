//! Second factors: the caller's security page, the second step of sign-in, and what
//! administrators may see and reset.

use crate::domain::mfa::MfaStatus;
use crate::domain::AppError;
use leptos::prelude::*;

/// New recovery codes for the next page to show once, in the flash of this request.
#[cfg(feature = "ssr")]
fn shown_once(
    codes: &[String],
) -> Option<(&'static str, std::collections::BTreeMap<String, String>)> {
    Some((
        "recovery_codes",
        [("codes".to_owned(), codes.join(","))].into(),
    ))
}

/// The caller's own factors (and, once, recovery codes just made). Needs a signed-in user.
#[server(input = server_fn::codec::GetUrl, endpoint = "me/security")]
pub async fn get_security() -> Result<MfaStatus, AppError> {
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?;
    crate::server::services::mfa::own_status(&ctx.state, principal)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Starts setting up an authenticator app. Needs a signed-in user.
#[server(endpoint = "me/totp/begin")]
pub async fn begin_totp() -> Result<(), AppError> {
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?.clone();
    match crate::server::services::mfa::begin_totp(&ctx.state, &principal, &ctx.client).await {
        Ok(()) => {
            ctx.succeed(
                "Scan the code with your app, then type the code it shows.",
                "/security",
            )
            .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("totp", &serde_json::json!({}), "/security", e)
            .await),
    }
}

/// Turns the app on with its first code and makes recovery codes. Needs a signed-in user.
#[server(endpoint = "me/totp/confirm")]
pub async fn confirm_totp(code: String) -> Result<(), AppError> {
    use crate::server::ctx::{internal, keys, RequestCtx};

    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?.clone();
    match crate::server::services::mfa::confirm_totp(&ctx.state, &principal, &code, &ctx.client)
        .await
    {
        Ok(codes) => {
            ctx.session
                .insert(keys::MFA_AT, ctx.state.now().timestamp())
                .await
                .map_err(internal)?;
            ctx.succeed_showing(
                "Your authenticator app is on. Keep the recovery codes somewhere safe.",
                "/security",
                shown_once(&codes),
            )
            .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("totp", &serde_json::json!({}), "/security", e)
            .await),
    }
}

/// New recovery codes; the old ones stop working. Needs a signed-in user with an app.
#[server(endpoint = "me/recovery/regenerate")]
pub async fn regenerate_recovery_codes() -> Result<(), AppError> {
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?.clone();
    // New codes are a second factor in themselves: only after the current one.
    ctx.require_step_up("recovery", &serde_json::json!({}), "/security")
        .await?;
    match crate::server::services::mfa::regenerate_recovery_codes(
        &ctx.state,
        &principal,
        &ctx.client,
    )
    .await
    {
        Ok(codes) => {
            ctx.succeed_showing(
                "New recovery codes made; the old ones no longer work.",
                "/security",
                shown_once(&codes),
            )
            .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("recovery", &serde_json::json!({}), "/security", e)
            .await),
    }
}

/// Removes the caller's app and recovery codes, after their password. Needs a signed-in user.
#[server(endpoint = "me/totp/remove")]
pub async fn remove_totp(password: String) -> Result<(), AppError> {
    use crate::server::ctx::{keys, RequestCtx};

    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?.clone();
    ctx.require_step_up("remove", &serde_json::json!({}), "/security")
        .await?;
    match crate::server::services::mfa::remove_own(&ctx.state, &principal, &password, &ctx.client)
        .await
    {
        Ok(()) => {
            // Nothing from the removed factor vouches for this session any more.
            let _ = ctx.session.remove_value(keys::MFA_AT).await;
            let _ = ctx.session.remove_value(keys::MFA_FACTOR).await;
            ctx.succeed(
                "The authenticator app and recovery codes were removed.",
                "/security",
            )
            .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("remove", &serde_json::json!({}), "/security", e)
            .await),
    }
}

/// The person half-way through signing in: `(org_id, user_id)` while the password step is
/// fresh (10 minutes).
#[cfg(feature = "ssr")]
pub(crate) async fn pending_sign_in(ctx: &crate::server::ctx::RequestCtx) -> Option<(i64, i64)> {
    use crate::server::ctx::keys;
    let get = |key: &'static str| async move { ctx.session.get::<i64>(key).await.ok().flatten() };
    let (user_id, org_id, since) = (
        get(keys::PENDING_USER_ID).await?,
        get(keys::PENDING_ORG_ID).await?,
        get(keys::PENDING_AT).await?,
    );
    (ctx.state.now().timestamp() - since <= 10 * 60).then_some((org_id, user_id))
}

/// Records in the session that the second step was just passed, and with which factor.
#[cfg(feature = "ssr")]
async fn mark_second_step(
    ctx: &crate::server::ctx::RequestCtx,
    factor: &'static str,
) -> Result<(), AppError> {
    use crate::server::ctx::{internal, keys};
    ctx.session
        .insert(keys::MFA_AT, ctx.state.now().timestamp())
        .await
        .map_err(internal)?;
    ctx.session
        .insert(keys::MFA_FACTOR, factor)
        .await
        .map_err(internal)
}

/// Ends the second step of sign-in with `factor`: a new session id for the signed-in person.
/// Returns the welcome notice.
#[cfg(feature = "ssr")]
pub(crate) async fn complete_sign_in(
    ctx: &crate::server::ctx::RequestCtx,
    org_id: i64,
    user_id: i64,
    factor: &'static str,
) -> Result<String, AppError> {
    use crate::server::ctx::internal;
    let principal = crate::server::services::auth::load_principal(&ctx.state, org_id, user_id)
        .await
        .map_err(internal)?
        .ok_or(AppError::Unauthenticated)?;
    ctx.start_session(&principal).await?;
    mark_second_step(ctx, factor).await?;
    Ok(if factor == "recovery_code" {
        format!(
            "Welcome back, {}. That recovery code is now used up.",
            principal.display_name
        )
    } else {
        format!("Welcome back, {}.", principal.display_name)
    })
}

/// Ends a step-up with `factor`: records it in the session and leaves for `back` the form the
/// person was filling in (or a notice). With `redirect`, also answers with the redirect.
#[cfg(feature = "ssr")]
pub(crate) async fn complete_step_up(
    ctx: &crate::server::ctx::RequestCtx,
    factor: &'static str,
    back: &str,
    redirect: bool,
) -> Result<(), AppError> {
    use crate::domain::flash::Flash;
    use crate::server::ctx::{internal, keys};
    mark_second_step(ctx, factor).await?;
    match ctx
        .session
        .remove::<Flash>(keys::RESUME)
        .await
        .ok()
        .flatten()
    {
        Some(resume) if resume.path.as_deref() == Some(back) => {
            ctx.session
                .insert(keys::FLASH, resume)
                .await
                .map_err(internal)?;
        }
        _ => {
            ctx.leave_notice("Second factor confirmed.", back, None)
                .await
        }
    }
    if redirect {
        leptos_axum::redirect(back);
    }
    Ok(())
}

/// The person half-way through signing in, if any, and whether they have a passkey. Needs no
/// permission.
#[server(input = server_fn::codec::GetUrl, endpoint = "login/pending")]
pub async fn get_pending_mfa() -> Result<Option<crate::domain::mfa::PendingSignIn>, AppError> {
    use crate::server::ctx::{internal, RequestCtx};
    use crate::server::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let ctx = RequestCtx::load().await?;
    let Some((org_id, user_id)) = pending_sign_in(&ctx).await else {
        return Ok(None);
    };
    let row = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(&ctx.state.db)
        .await
        .map_err(internal)?;
    let Some(row) = row else { return Ok(None) };
    let has_passkey = crate::server::services::passkey::count(&ctx.state.db, org_id, user_id)
        .await
        .map_err(internal)?
        > 0;
    Ok(Some(crate::domain::mfa::PendingSignIn {
        email: row.email,
        has_passkey,
    }))
}

/// The second step of sign-in: a code from the app or a recovery code. On success the session
/// id changes again and the person is signed in.
#[server(endpoint = "login/verify")]
pub async fn verify_mfa(code: String) -> Result<(), AppError> {
    use crate::server::ctx::{keys, RequestCtx};

    let ctx = RequestCtx::load().await?;
    let back = "/login/mfa";
    let Some((org_id, user_id)) = pending_sign_in(&ctx).await else {
        let started = ctx
            .session
            .get::<i64>(keys::PENDING_USER_ID)
            .await
            .ok()
            .flatten()
            .is_some();
        if started {
            let _ = ctx.session.flush().await;
        }
        let message = if started {
            "That took too long. Sign in again."
        } else {
            "Sign in with your password first."
        };
        return Err(ctx
            .fail_form(
                "sign_in",
                &serde_json::json!({}),
                "/login",
                AppError::field("form", message),
            )
            .await);
    };
    let factor =
        match crate::server::services::mfa::verify(&ctx.state, org_id, user_id, &code, &ctx.client)
            .await
        {
            Ok(factor) => factor,
            Err(e) => return Err(ctx.fail_form("mfa", &serde_json::json!({}), back, e).await),
        };
    let notice = complete_sign_in(&ctx, org_id, user_id, factor).await?;
    ctx.succeed(notice, "/").await;
    Ok(())
}

/// Someone's second factors, without secrets. Needs `user.view` over the person.
#[server(input = server_fn::codec::GetUrl, endpoint = "people/mfa")]
pub async fn get_person_mfa(user_id: i64) -> Result<MfaStatus, AppError> {
    use crate::server::authz::{authorize, UserView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<UserView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    crate::server::services::mfa::status_for(&ctx.state, &grant, user_id)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Resets someone's second factors. Needs `user.manage` over the person.
#[server(endpoint = "people/mfa/reset")]
pub async fn reset_person_mfa(id: i64) -> Result<(), AppError> {
    use crate::server::authz::{authorize, UserManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = format!("/people/{id}");
    let grant = authorize::<UserManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("mfa_reset", &serde_json::json!({}), &back)
        .await?;
    match crate::server::services::mfa::reset(&ctx.state, &grant, id, &ctx.client).await {
        Ok(name) => {
            ctx.succeed(format!("{name}'s second factors were reset; they set them up again at their next sign-in."), &back)
                .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("mfa_reset", &serde_json::json!({}), &back, e)
            .await),
    }
}

/// The organisation's second-factor rules. Needs `settings.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "settings/mfa")]
pub async fn get_mfa_settings() -> Result<crate::domain::mfa::MfaSettings, AppError> {
    use crate::server::authz::{authorize, SettingsView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<SettingsView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::mfa::settings(&ctx.state, &grant)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Changes the organisation's second-factor rules. Needs `settings.manage`.
#[server(endpoint = "settings/mfa/update")]
pub async fn update_mfa_settings(
    form: crate::domain::mfa::MfaSettingsForm,
) -> Result<(), AppError> {
    use crate::server::authz::{authorize, SettingsManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = "/settings";
    let grant = authorize::<SettingsManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("settings", &form, back).await?;
    let (required, days) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => {
            return Err(ctx
                .fail_form("settings", &form, back, AppError::Validation(errors))
                .await)
        }
    };
    match crate::server::services::mfa::update_settings(
        &ctx.state,
        &grant,
        required,
        days,
        &ctx.client,
    )
    .await
    {
        Ok(()) => {
            ctx.succeed("Settings saved.", back).await;
            Ok(())
        }
        Err(e) => Err(ctx.fail_form("settings", &form, back, e).await),
    }
}

/// Step-up: the second step again, for a sensitive action. Returns the person to `back` with
/// what they had typed. Needs a signed-in user.
#[server(endpoint = "step_up")]
pub async fn verify_step_up(code: String, back: String) -> Result<(), AppError> {
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?.clone();
    let back = crate::api::access::safe_back(&back, "/");
    let here = format!("/step-up?back={back}");
    let factor = match crate::server::services::mfa::verify(
        &ctx.state,
        principal.org_id,
        principal.user_id,
        &code,
        &ctx.client,
    )
    .await
    {
        Ok(factor) => factor,
        Err(e) => {
            return Err(ctx
                .fail_form("step_up", &serde_json::json!({}), &here, e)
                .await)
        }
    };
    complete_step_up(&ctx, factor, &back, true).await?;
    Ok(())
}
