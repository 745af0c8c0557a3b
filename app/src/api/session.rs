//! What every page needs from the session.

use crate::domain::flash::SessionInfo;
use crate::domain::AppError;
use leptos::prelude::*;

/// Returns the signed-in user (if any), the CSRF token for forms (creating one), and takes the
/// flash left by the previous request. Needs no permission: it only describes the caller.
#[server(input = server_fn::codec::GetUrl, endpoint = "session")]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    use crate::domain::flash::{Flash, SessionUser};
    use crate::server::ctx::{internal, keys, RequestCtx};
    use crate::server::entities::organisation;
    use sea_orm::{EntityTrait, QuerySelect};

    let ctx = RequestCtx::load().await?;
    let csrf_token = match ctx
        .session
        .get::<String>(keys::CSRF)
        .await
        .map_err(internal)?
    {
        Some(token) => token,
        None => {
            let token = crate::server::password::random_token(32);
            ctx.session
                .insert(keys::CSRF, &token)
                .await
                .map_err(internal)?;
            token
        }
    };
    let flash = ctx
        .session
        .remove::<Flash>(keys::FLASH)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let user = match ctx.principal.as_ref() {
        Some(p) => {
            let access = ctx.access().await?;
            Some(SessionUser {
                id: p.user_id,
                email: p.email.clone(),
                display_name: p.display_name.clone(),
                org_name: p.org_name.clone(),
                org_slug: p.org_slug.clone(),
                permissions: access
                    .snapshot
                    .held(access.now)
                    .into_iter()
                    .map(|p| p.code().to_owned())
                    .collect(),
                mfa_due: access.mfa_due.map(|d| d.format("%Y-%m-%d").to_string()),
                mfa_overdue: access.mfa_overdue(),
            })
        }
        None => None,
    };
    // Anonymous visitors learn no organisation names: only a deployment with exactly one
    // organisation fills it in (as a hidden field), everyone else types the short name.
    let (org_choices, needs_setup) = if user.is_none() {
        let orgs = organisation::Entity::find()
            .limit(2)
            .all(&ctx.state.db)
            .await
            .map_err(internal)?;
        let choices = match orgs.as_slice() {
            [only] => vec![(only.slug.clone(), only.name.clone())],
            _ => Vec::new(),
        };
        let needs = crate::server::services::setup::needs_setup(&ctx.state.db)
            .await
            .map_err(internal)?;
        (choices, needs)
    } else {
        (Vec::new(), false)
    };
    Ok(SessionInfo {
        user,
        csrf_token,
        flash,
        org_choices,
        needs_setup,
    })
}
