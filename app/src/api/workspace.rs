//! The CX workspace: tickets, feedback and customers, filtered by the caller's access.

use crate::domain::workspace::{
    CustomerRow, FeedbackRow, RecordPage, RecordQuery, TicketDetail, TicketRow,
};
use crate::domain::AppError;
use leptos::prelude::*;

/// Tickets the caller may see. Needs `ticket.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "tickets/list")]
pub async fn list_tickets(query: RecordQuery) -> Result<RecordPage<TicketRow>, AppError> {
    use crate::server::authz::{authorize, TicketView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<TicketView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::workspace::tickets(&ctx.state, &grant, &query)
        .await
        .map_err(|e| ctx.fail(e))
}

/// One ticket and why the caller may see it. Needs `ticket.view` for this ticket.
#[server(input = server_fn::codec::GetUrl, endpoint = "tickets/get")]
pub async fn get_ticket(id: i64) -> Result<TicketDetail, AppError> {
    use crate::server::authz::{authorize, TicketView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<TicketView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::workspace::ticket(&ctx.state, &grant, id, &ctx.client)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Survey responses the caller may see. Needs `feedback.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "feedback/list")]
pub async fn list_feedback(query: RecordQuery) -> Result<RecordPage<FeedbackRow>, AppError> {
    use crate::server::authz::{authorize, FeedbackView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<FeedbackView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::workspace::feedback(&ctx.state, &grant, &query)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Customers the caller may see. Needs `customer.view`; personal data needs
/// `customer.view_pii` for the customer.
#[server(input = server_fn::codec::GetUrl, endpoint = "customers/list")]
pub async fn list_customers(query: RecordQuery) -> Result<RecordPage<CustomerRow>, AppError> {
    use crate::server::authz::{authorize, optional, CustomerView, CustomerViewPii};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<CustomerView>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    let pii = optional::<CustomerViewPii>(&ctx)
        .await
        .map_err(|e| ctx.fail(e))?;
    crate::server::services::workspace::customers(
        &ctx.state,
        &grant,
        pii.as_ref(),
        &query,
        &ctx.client,
    )
    .await
    .map_err(|e| ctx.fail(e))
}
