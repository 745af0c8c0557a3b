//! Operating the audit log: retention, business hours, SIEM webhook sinks and checkpoints.

use crate::domain::audit::AuditOperations;
use crate::domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The retention and business-hours form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSettingsForm {
    #[serde(default)]
    pub retention_days: String,
    #[serde(default)]
    pub hours_start: String,
    #[serde(default)]
    pub hours_end: String,
}

/// The form that adds a webhook sink, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub events: String,
    /// `on` when the existing events are to be sent too.
    #[serde(default)]
    pub from_start: String,
}

/// Where the audit settings forms return to.
#[cfg(feature = "ssr")]
const BACK: &str = "/audit/settings";

/// Retention, business hours and sinks. Needs `audit_event.manage`.
#[server(input = server_fn::codec::GetUrl, endpoint = "audit/operations")]
pub async fn get_audit_operations() -> Result<AuditOperations, AppError> {
    use crate::server::authz::{authorize, AuditEventManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::webhooks::operations(&ctx.state, &grant)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Saves retention and business hours. Needs `audit_event.manage` and a recent second step.
#[server(endpoint = "audit/settings/update")]
pub async fn update_audit_settings(form: AuditSettingsForm) -> Result<(), AppError> {
    use crate::server::authz::{authorize, AuditEventManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("audit_settings", &form, BACK).await?;
    let mut errors = crate::domain::FieldErrors::new();
    let retention = match form.retention_days.trim() {
        "" => None,
        text => match text.parse::<i32>() {
            Ok(days) => Some(days),
            Err(_) => {
                errors.insert(
                    "retention_days".into(),
                    "Enter a number of days, or leave it empty.".into(),
                );
                None
            }
        },
    };
    let hour = |text: &str, field: &str, errors: &mut crate::domain::FieldErrors| {
        text.trim().parse::<i32>().unwrap_or_else(|_| {
            errors.insert(field.into(), "Enter an hour from 0 to 24.".into());
            -1
        })
    };
    let start = hour(&form.hours_start, "business_hours", &mut errors);
    let end = hour(&form.hours_end, "business_hours", &mut errors);
    if !errors.is_empty() {
        return Err(ctx
            .fail_form("audit_settings", &form, BACK, AppError::Validation(errors))
            .await);
    }
    match crate::server::services::retention::update_settings(
        &ctx.state,
        &grant,
        retention,
        (start, end),
        &ctx.client,
    )
    .await
    {
        Ok(()) => {
            ctx.succeed("Audit settings saved.", BACK).await;
            Ok(())
        }
        Err(e) => Err(ctx.fail_form("audit_settings", &form, BACK, e).await),
    }
}

/// Adds a webhook sink; its signing secret is shown once on the next page. Needs
/// `audit_event.manage` and a recent second step.
#[server(endpoint = "audit/webhooks/create")]
pub async fn create_webhook(form: WebhookForm) -> Result<i64, AppError> {
    use crate::server::authz::{authorize, AuditEventManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    ctx.require_step_up("webhook", &form, BACK).await?;
    let new = crate::server::services::webhooks::NewSink {
        name: form.name.clone(),
        url: form.url.clone(),
        events: form.events.clone(),
        from_start: !form.from_start.is_empty(),
    };
    match crate::server::services::webhooks::create(&ctx.state, &grant, &new, &ctx.client).await {
        Ok((id, secret)) => {
            let shown = std::collections::BTreeMap::from([("secret".to_owned(), secret)]);
            ctx.succeed_showing(
                "Webhook added. Copy its signing secret now: it is not shown again.",
                BACK,
                Some(("webhook_secret", shown)),
            )
            .await;
            Ok(id)
        }
        Err(e) => Err(ctx.fail_form("webhook", &form, BACK, e).await),
    }
}

/// Pauses or resumes a sink. Needs `audit_event.manage`.
#[server(endpoint = "audit/webhooks/enable")]
pub async fn set_webhook_enabled(id: i64, enabled: bool) -> Result<(), AppError> {
    use crate::server::authz::{authorize, AuditEventManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    match crate::server::services::webhooks::set_enabled(
        &ctx.state,
        &grant,
        id,
        enabled,
        &ctx.client,
    )
    .await
    {
        Ok(()) => {
            ctx.succeed(
                if enabled {
                    "Webhook resumed."
                } else {
                    "Webhook paused."
                },
                BACK,
            )
            .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("sinks", &serde_json::json!({}), BACK, e)
            .await),
    }
}

/// Deletes a sink (after the confirmation page). Needs `audit_event.manage` and a recent
/// second step.
#[server(endpoint = "audit/webhooks/delete")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    use crate::server::authz::{authorize, AuditEventManage};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<AuditEventManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    let back = format!("/audit/webhooks/{id}/delete");
    ctx.require_step_up("delete", &serde_json::json!({}), &back)
        .await?;
    match crate::server::services::webhooks::delete(&ctx.state, &grant, id, &ctx.client).await {
        Ok(()) => {
            ctx.succeed("Webhook deleted.", BACK).await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("delete", &serde_json::json!({}), &back, e)
            .await),
    }
}

/// Signs a checkpoint of the chain head now (besides the daily one). Needs
/// `audit_event.manage`.
#[server(endpoint = "audit/checkpoints/sign")]
pub async fn sign_checkpoint() -> Result<(), AppError> {
    use crate::server::authz::{authorize, AuditEventManage};
    use crate::server::ctx::{internal, RequestCtx};

    let ctx = RequestCtx::load().await?;
    let back = "/audit/integrity";
    let grant = authorize::<AuditEventManage>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    let signed = crate::server::services::checkpoint::sign_head(
        &ctx.state,
        grant.org_id(),
        crate::server::services::audit::Actor::principal(grant.principal()),
        &ctx.client,
    )
    .await
    .map_err(internal);
    match signed {
        Ok(Some(c)) => {
            ctx.succeed(format!("Checkpoint signed at event {}.", c.seq), back)
                .await;
            Ok(())
        }
        Ok(None) => {
            ctx.succeed("The chain is empty: nothing to sign.", back)
                .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("checkpoint", &serde_json::json!({}), back, e)
            .await),
    }
}
