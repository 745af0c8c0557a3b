//! Passkeys: registering one from the security page, removing one, and the passkey check that
//! completes a sign-in's second step or a step-up. WebAuthn runs in the browser, so the
//! registration and the check are called by the page's script; each call carries the CSRF token
//! as an argument, like a form field.

use crate::domain::AppError;
use leptos::prelude::*;

/// Starts adding a passkey called `name`: the options for `navigator.credentials.create`, as
/// JSON. Needs a signed-in user.
#[server(endpoint = "me/passkeys/begin")]
pub async fn begin_passkey_registration(
    csrf_token: String,
    name: String,
) -> Result<String, AppError> {
    use crate::server::ctx::{internal, keys, RequestCtx};

    let _ = csrf_token; // checked by the CSRF layer
    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?.clone();
    let (options, pending) =
        crate::server::services::passkey::begin_registration(&ctx.state, &principal, &name)
            .await
            .map_err(|e| ctx.fail(e))?;
    ctx.session
        .insert(keys::PASSKEY_REGISTRATION, pending)
        .await
        .map_err(internal)?;
    Ok(options)
}

/// Finishes adding a passkey with the browser's answer (JSON). Returns the page to open next,
/// which shows recovery codes once if these are the person's first. Needs a signed-in user.
#[server(endpoint = "me/passkeys/finish")]
pub async fn finish_passkey_registration(
    csrf_token: String,
    credential: String,
) -> Result<String, AppError> {
    use crate::server::ctx::{internal, keys, RequestCtx};
    use crate::server::services::passkey::PendingRegistration;

    let _ = csrf_token; // checked by the CSRF layer
    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?.clone();
    let Some(pending) = ctx
        .session
        .remove::<PendingRegistration>(keys::PASSKEY_REGISTRATION)
        .await
        .ok()
        .flatten()
    else {
        return Err(ctx.fail(AppError::Conflict("Start adding the passkey again.".into())));
    };
    let codes = crate::server::services::passkey::finish_registration(
        &ctx.state,
        &principal,
        &pending,
        &credential,
        &ctx.client,
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    // Making the passkey proved the person holds it: a second factor, just now.
    ctx.session
        .insert(keys::MFA_AT, ctx.state.now().timestamp())
        .await
        .map_err(internal)?;
    let shown = (!codes.is_empty()).then(|| {
        (
            "recovery_codes",
            [("codes".to_owned(), codes.join(","))].into(),
        )
    });
    let notice = if codes.is_empty() {
        format!("Passkey “{}” added.", pending.name)
    } else {
        format!(
            "Passkey “{}” added. Keep the recovery codes somewhere safe.",
            pending.name
        )
    };
    ctx.leave_notice(notice, "/security", shown).await;
    Ok("/security".into())
}

/// Removes one of the caller's passkeys, after their password (and a recent second factor).
/// A plain form: works without JavaScript. Needs a signed-in user.
#[server(endpoint = "me/passkeys/remove")]
pub async fn remove_passkey(passkey: String, password: String) -> Result<(), AppError> {
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let principal = ctx.principal().map_err(|e| ctx.fail(e))?.clone();
    let kept = serde_json::json!({ "passkey": passkey });
    ctx.require_step_up("remove_passkey", &kept, "/security")
        .await?;
    let Ok(id) = passkey.trim().parse::<i64>() else {
        return Err(ctx
            .fail_form(
                "remove_passkey",
                &kept,
                "/security",
                AppError::field("passkey", "Choose one of your passkeys."),
            )
            .await);
    };
    match crate::server::services::passkey::remove(
        &ctx.state,
        &principal,
        id,
        &password,
        &ctx.client,
    )
    .await
    {
        Ok(name) => {
            ctx.succeed(format!("Passkey “{name}” removed."), "/security")
                .await;
            Ok(())
        }
        Err(e) => Err(ctx.fail_form("remove_passkey", &kept, "/security", e).await),
    }
}

/// Whose passkey a check is for: the person half-way through signing in, or else the signed-in
/// person stepping up.
#[cfg(feature = "ssr")]
fn checked_person(
    ctx: &crate::server::ctx::RequestCtx,
    pending: Option<(i64, i64)>,
) -> Result<(i64, i64), AppError> {
    match (pending, ctx.principal.as_ref()) {
        (Some(pending), _) => Ok(pending),
        (None, Some(p)) => Ok((p.org_id, p.user_id)),
        (None, None) => Err(ctx.fail(AppError::Unauthenticated)),
    }
}

/// Starts a passkey check: the options for `navigator.credentials.get`, as JSON. For the
/// person half-way through signing in, or a signed-in person stepping up.
#[server(endpoint = "passkey/begin")]
pub async fn begin_passkey_check(csrf_token: String) -> Result<String, AppError> {
    use crate::server::ctx::{internal, keys, RequestCtx};

    let _ = csrf_token; // checked by the CSRF layer
    let ctx = RequestCtx::load().await?;
    let pending = crate::api::mfa::pending_sign_in(&ctx).await;
    let (org_id, user_id) = checked_person(&ctx, pending)?;
    let (options, ceremony) =
        crate::server::services::passkey::begin_check(&ctx.state, org_id, user_id)
            .await
            .map_err(|e| ctx.fail(e))?;
    ctx.session
        .insert(keys::PASSKEY_CHECK, ceremony)
        .await
        .map_err(internal)?;
    Ok(options)
}

/// Finishes a passkey check with the browser's signed answer (JSON). Completes the sign-in
/// (a new session id) or the step-up, and returns the page to open next: the console, or
/// `back` with the form that was interrupted.
#[server(endpoint = "passkey/finish")]
pub async fn finish_passkey_check(
    csrf_token: String,
    credential: String,
    back: String,
) -> Result<String, AppError> {
    use crate::server::ctx::{keys, RequestCtx};
    use webauthn_rs::prelude::PasskeyAuthentication;

    let _ = csrf_token; // checked by the CSRF layer
    let ctx = RequestCtx::load().await?;
    let Some(ceremony) = ctx
        .session
        .remove::<PasskeyAuthentication>(keys::PASSKEY_CHECK)
        .await
        .ok()
        .flatten()
    else {
        return Err(ctx.fail(AppError::Conflict("Start the passkey check again.".into())));
    };
    let pending = crate::api::mfa::pending_sign_in(&ctx).await;
    let (org_id, user_id) = checked_person(&ctx, pending)?;
    crate::server::services::passkey::finish_check(
        &ctx.state,
        org_id,
        user_id,
        &ceremony,
        &credential,
        &ctx.client,
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    if pending.is_some() {
        let notice = crate::api::mfa::complete_sign_in(&ctx, org_id, user_id, "passkey").await?;
        ctx.leave_notice(notice, "/", None).await;
        Ok("/".into())
    } else {
        let back = crate::api::access::safe_back(&back, "/");
        crate::api::mfa::complete_step_up(&ctx, "passkey", &back, false).await?;
        Ok(back)
    }
}
