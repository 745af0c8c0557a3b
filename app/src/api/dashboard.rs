//! Dashboard figures.

use crate::domain::audit::DashboardFigures;
use crate::domain::AppError;
use leptos::prelude::*;

/// People by status, sign-ins today and recent activity. Needs `user.view`; people without it
/// get `None` (and a welcome page) rather than a refusal.
#[server(input = server_fn::codec::GetUrl, endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Option<DashboardFigures>, AppError> {
    use crate::server::authz::{optional, UserView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let Some(grant) = optional::<UserView>(&ctx).await.map_err(|e| ctx.fail(e))? else {
        return Ok(None);
    };
    crate::server::services::dashboard::figures(&ctx.state, &grant)
        .await
        .map(Some)
        .map_err(|e| ctx.fail(e))
}
