//! Alerts on unusual activity, and the dashboard's activity charts.

use crate::domain::audit::{ActivityCharts, AlertPage};
use crate::domain::AppError;
use leptos::prelude::*;

/// Alerts, newest first: open ones, or all with `all`. Needs `audit_event.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "alerts/list")]
pub async fn list_alerts(all: bool, before: Option<i64>) -> Result<AlertPage, AppError> {
    use crate::server::authz::{authorize, AuditEventView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::alerts::list(&ctx.state, &grant, all, before)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Acknowledges alerts, given as comma-separated ids. Needs `audit_event.manage`.
#[server(endpoint = "alerts/acknowledge")]
pub async fn acknowledge_alerts(ids: String) -> Result<usize, AppError> {
    use crate::server::authz::{authorize, AuditEventManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = "/alerts";
    let grant = authorize::<AuditEventManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    let parsed: Result<Vec<i64>, _> = ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    let Ok(parsed) = parsed else {
        return Err(ctx
            .fail_form(
                "acknowledge",
                &serde_json::json!({}),
                back,
                AppError::field("ids", "The selection could not be read."),
            )
            .await);
    };
    match crate::server::services::alerts::acknowledge(&ctx.state, &grant, &parsed, &ctx.client)
        .await
    {
        Ok(n) => {
            let notice = if n == 1 {
                "1 alert acknowledged.".to_owned()
            } else {
                format!("{n} alerts acknowledged.")
            };
            ctx.succeed(notice, back).await;
            Ok(n)
        }
        Err(e) => Err(ctx
            .fail_form("acknowledge", &serde_json::json!({}), back, e)
            .await),
    }
}

/// Activity charts and open alerts for the dashboard. Needs `audit_event.view`; people without
/// it get `None`.
#[server(input = server_fn::codec::GetUrl, endpoint = "dashboard/charts")]
pub async fn get_activity_charts() -> Result<Option<ActivityCharts>, AppError> {
    use crate::server::authz::{optional, AuditEventView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let Some(grant) = optional::<AuditEventView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?
    else {
        return Ok(None);
    };
    crate::server::services::dashboard::charts(&ctx.state, &grant)
        .await
        .map(Some)
        .map_err(|e| ctx.fail(e))
}
