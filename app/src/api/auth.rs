//! Sign-in, sign-out and first-run setup. These are plain form posts (with or without
//! JavaScript) so the session id can rotate and the page reloads with the new session.

use crate::domain::AppError;
use leptos::prelude::*;

/// Signs in with email and password. Needs no permission. Rotates the session id.
#[server(endpoint = "sign_in")]
pub async fn sign_in(org: String, email: String, password: String) -> Result<(), AppError> {
    use crate::server::ctx::{internal, RequestCtx};
    use crate::server::services::auth::{self, SignInError};

    let ctx = RequestCtx::load().await?;
    let values = serde_json::json!({ "org": org, "email": email });
    let result = auth::sign_in(&ctx.state, &org, &email, &password, &ctx.client).await;
    let principal = match result {
        Ok(principal) => principal,
        Err(SignInError::Database(err)) => {
            return Err(ctx
                .fail_form("sign_in", &values, "/login", internal(err))
                .await)
        }
        Err(SignInError::Throttled(minutes)) => {
            let error = AppError::RateLimited(SignInError::Throttled(minutes).to_string());
            return Err(ctx.fail_form("sign_in", &values, "/login", error).await);
        }
        Err(other) => {
            let error = AppError::field("form", other.to_string());
            return Err(ctx.fail_form("sign_in", &values, "/login", error).await);
        }
    };
    // With a second factor, the password only opens the second step.
    if crate::server::services::mfa::has_second_factor(
        &ctx.state,
        principal.org_id,
        principal.user_id,
    )
    .await
    .map_err(internal)?
    {
        ctx.start_pending_mfa(&principal).await?;
        leptos_axum::redirect("/login/mfa");
        return Ok(());
    }
    ctx.start_session(&principal).await?;
    ctx.succeed(format!("Welcome back, {}.", principal.display_name), "/")
        .await;
    Ok(())
}

/// Signs out: records it and deletes the session. Needs a signed-in user.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::ctx::{internal, RequestCtx};

    let ctx = RequestCtx::load().await?;
    if let Some(principal) = &ctx.principal {
        crate::server::services::auth::sign_out(&ctx.state, principal, &ctx.client)
            .await
            .map_err(internal)?;
    }
    ctx.session.flush().await.map_err(internal)?;
    leptos_axum::redirect("/login?signed_out=1");
    Ok(())
}

/// Creates the organisation and its first administrator from the one-time setup link.
/// Needs the setup token, and only works while no administrator exists.
#[server(endpoint = "setup")]
pub async fn complete_setup(
    token: String,
    form: crate::domain::setup::SetupForm,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::server::ctx::RequestCtx;
    use crate::server::services::setup::{self, NewAdmin};

    let ctx = RequestCtx::load().await?;
    let back = format!("/setup?token={}", urlencode(&token));
    let admin = match NewAdmin::parse(&form, &password, &confirm) {
        Ok(admin) => admin,
        Err(errors) => {
            return Err(ctx
                .fail_form("setup", &form, &back, AppError::Validation(errors))
                .await)
        }
    };
    let principal = match setup::complete_setup(&ctx.state, &token, &admin, &ctx.client).await {
        Ok(principal) => principal,
        Err(error) => return Err(ctx.fail_form("setup", &form, &back, error).await),
    };
    ctx.start_session(&principal).await?;
    ctx.succeed(
        "Your organisation is ready. Add the people who will use Castellan.",
        "/",
    )
    .await;
    Ok(())
}

/// Whether a setup link is still usable. Needs no permission.
#[server(input = server_fn::codec::GetUrl, endpoint = "setup_status")]
pub async fn get_setup_status(token: String) -> Result<bool, AppError> {
    use crate::server::ctx::{internal, RequestCtx};
    let ctx = RequestCtx::load().await?;
    let valid = crate::server::services::setup::setup_token_is_valid(&ctx.state, &token)
        .await
        .map_err(internal)?;
    Ok(valid
        && crate::server::services::setup::needs_setup(&ctx.state.db)
            .await
            .map_err(internal)?)
}

#[cfg(feature = "ssr")]
fn urlencode(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
