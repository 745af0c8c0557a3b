//! The audit log: filtered pages and single events. Exports are streamed by a plain HTTP
//! route (`server::http::audit_export`), not a server function.

use crate::domain::audit::{AuditEventDetail, AuditPage, AuditQuery};
use crate::domain::AppError;
use leptos::prelude::*;

/// One page of the audit log, newest first. Needs `audit_event.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "audit/list")]
pub async fn list_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    use crate::server::authz::{authorize, AuditEventView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::audit_log::list(&ctx.state, &grant, &query)
        .await
        .map_err(|e| ctx.fail(e))
}

/// One event with its before/after comparison. Needs `audit_event.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "audit/get")]
pub async fn get_audit_event(seq: i64) -> Result<AuditEventDetail, AppError> {
    use crate::server::authz::{authorize, AuditEventView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::audit_log::get(&ctx.state, &grant, seq)
        .await
        .map_err(|e| ctx.fail(e))
}

/// The chain head and the latest verification. Needs `audit_event.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "audit/integrity")]
pub async fn get_audit_integrity() -> Result<crate::domain::audit::IntegrityStatus, AppError> {
    use crate::server::authz::{authorize, AuditEventView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::audit_log::integrity(&ctx.state, &grant)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Starts verifying the whole chain; the integrity page shows progress and the result.
/// Needs `audit_event.view`.
#[server(endpoint = "audit/verify")]
pub async fn verify_audit_chain() -> Result<(), AppError> {
    use crate::server::authz::{authorize, AuditEventView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    match crate::server::services::audit_log::start_verification(&ctx.state, &grant).await {
        Ok(()) => {
            ctx.succeed("Verification started.", "/audit/integrity")
                .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("verify", &serde_json::json!({}), "/audit/integrity", e)
            .await),
    }
}
