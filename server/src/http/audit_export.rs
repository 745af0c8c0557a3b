//! `/audit/export.csv` and `/audit/export.ndjson`: the audit log under the current filters,
//! streamed a page at a time (memory stays flat however long the log), after
//! `audit_event.export`, a recent second factor, and an audit event saying who exported what.

use app::domain::audit::{AuditAction, AuditQuery, Outcome};
use app::domain::AppError;
use app::server::authz::{authorize, AuditEventExport};
use app::server::ctx::RequestCtx;
use app::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use app::server::services::audit_log;
use app::server::AppState;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

/// Events read from the database per step of the stream.
const BATCH: u64 = 1_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Ndjson,
}

fn refuse(error: &AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = match error {
        AppError::Validation(fields) => fields.values().cloned().collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    };
    (status, message).into_response()
}

/// Records an export (what and how) before the first byte leaves.
async fn record_export(
    state: &AppState,
    principal: &app::server::Principal,
    ctx: &RequestCtx,
    what: serde_json::Value,
) -> Result<(), sea_orm::DbErr> {
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id).await?;
    txn.record(
        state.now(),
        NewEvent {
            actor: Actor::principal(principal),
            action: AuditAction::AuditExported,
            target: Target::named("organisation", principal.org_id, &principal.org_name),
            outcome: Outcome::Success,
            client: ctx.client.clone(),
            before: None,
            after: Some(what),
        },
    )
    .await?;
    txn.commit().await
}

/// Streams the export. Answers 403 without `audit_event.export`, and sends people whose
/// second step is not recent to the step-up page first.
pub async fn export(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let format = if parts.uri.path().ends_with(".csv") {
        Format::Csv
    } else {
        Format::Ndjson
    };
    let query = Query::<AuditQuery>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let ctx = match RequestCtx::from_parts(state.clone(), &parts) {
        Ok(ctx) => ctx,
        Err(e) => return refuse(&e),
    };
    let grant = match authorize::<AuditEventExport>(&ctx).await {
        Ok(grant) => grant,
        Err(e) => return refuse(&e),
    };
    if let Err(e) = ctx
        .require_step_up("export", &serde_json::json!({}), "/audit")
        .await
    {
        return match e {
            AppError::MfaRequired => Redirect::to("/step-up?back=/audit").into_response(),
            other => refuse(&other),
        };
    }
    let filter = match audit_log::parse(&query) {
        Ok(filter) => filter,
        Err(e) => return refuse(&e),
    };
    let principal = grant.principal().clone();
    let (kind, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    // The export is itself an event, written before the first byte leaves.
    let recorded = record_export(
        &state,
        &principal,
        &ctx,
        serde_json::json!({ "format": extension, "filters": query.to_query_string() }),
    )
    .await;
    if let Err(err) = recorded {
        return refuse(&app::server::ctx::internal(err));
    }

    let org_id = principal.org_id;
    let db = state.db.clone();
    let header_line = (format == Format::Csv).then_some(audit_log::CSV_HEADER.to_owned());
    let stream = futures_util::stream::unfold(
        (filter, header_line, false),
        move |(mut filter, header_line, done)| {
            let db = db.clone();
            async move {
                if let Some(line) = header_line {
                    return Some((
                        Ok::<_, std::io::Error>(line.into_bytes()),
                        (filter, None, done),
                    ));
                }
                if done {
                    return None;
                }
                let batch = match audit_log::events(&db, org_id, &filter, BATCH).await {
                    Ok(batch) => batch,
                    Err(err) => {
                        tracing::error!(error = %err, "audit export stopped");
                        return Some((
                            Err(std::io::Error::other("export stopped")),
                            (filter, None, true),
                        ));
                    }
                };
                let last = batch.len() < BATCH as usize;
                let oldest = batch.last().map(|e| e.seq)?;
                filter.before = Some(oldest);
                let mut chunk = String::with_capacity(batch.len() * 300);
                for event in &batch {
                    chunk.push_str(&match format {
                        Format::Csv => audit_log::csv_line(event),
                        Format::Ndjson => audit_log::ndjson_line(event),
                    });
                }
                Some((Ok(chunk.into_bytes()), (filter, None, last)))
            }
        },
    );
    let filename = format!(
        "attachment; filename=\"audit-{}-{}.{extension}\"",
        principal.org_slug,
        state.now().format("%Y%m%d-%H%M%S")
    );
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The organisation's signed checkpoints as a JSON file, with the public key that verifies
/// them: to keep outside the database and check later with
/// `castellan audit verify --checkpoints FILE`. Needs `audit_event.export`; recorded.
pub async fn export_checkpoints(State(state): State<AppState>, request: Request) -> Response {
    use app::server::services::checkpoint;
    let (parts, _) = request.into_parts();
    let ctx = match RequestCtx::from_parts(state.clone(), &parts) {
        Ok(ctx) => ctx,
        Err(e) => return refuse(&e),
    };
    let grant = match authorize::<AuditEventExport>(&ctx).await {
        Ok(grant) => grant,
        Err(e) => return refuse(&e),
    };
    let principal = grant.principal().clone();
    let key = state.audit_signing_key.verifying_key();
    let export = match checkpoint::export(&state.db, principal.org_id, &key).await {
        Ok(export) => export,
        Err(err) => return refuse(&app::server::ctx::internal(err)),
    };
    let recorded = record_export(
        &state,
        &principal,
        &ctx,
        serde_json::json!({ "format": "checkpoints", "checkpoints": export.checkpoints.len() }),
    )
    .await;
    if let Err(err) = recorded {
        return refuse(&app::server::ctx::internal(err));
    }
    let body = match serde_json::to_vec_pretty(&export) {
        Ok(body) => body,
        Err(err) => return refuse(&app::server::ctx::internal(err)),
    };
    let mut response = Body::from(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let filename = format!(
        "attachment; filename=\"audit-checkpoints-{}-{}.json\"",
        principal.org_slug,
        state.now().format("%Y%m%d-%H%M%S")
    );
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
