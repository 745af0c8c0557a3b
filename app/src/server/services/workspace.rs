//! The CX workspace lists. Each takes its filter from the engine's grant, so a list returns
//! exactly the records single checks allow, filtered, counted and paginated in the database.

use crate::domain::access::{RecordAttributes, ScopeAttribute};
use crate::domain::permission::{Permission, ResourceKind};
use crate::domain::workspace::{
    CustomerRow, FeedbackRow, RecordPage, RecordQuery, TicketDetail, TicketRow,
};
use crate::domain::AppError;
use crate::server::authz::{
    refuse_record, CustomerView, CustomerViewPii, FeedbackView, Grant, ListFilter, Perm, Resource,
    TicketView,
};
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{customer, feedback, ticket};
use crate::server::repo::scope::condition;
use crate::server::state::AppState;
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

fn scope_text(filter: &ListFilter) -> String {
    match filter {
        ListFilter::All => "everywhere".into(),
        ListFilter::Nothing => "nothing".into(),
        ListFilter::AnyOf(scopes) => scopes
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// Runs one page and the total of a filtered select, newest first.
async fn page<E, M, T, P: Perm>(
    state: &AppState,
    grant: &Grant<P>,
    select: Select<E>,
    id_column: E::Column,
    query: &RecordQuery,
    id_of: impl Fn(&M) -> i64,
    row: impl Fn(M) -> T,
) -> Result<RecordPage<T>, AppError>
where
    E: EntityTrait<Model = M>,
    M: sea_orm::FromQueryResult + Sized + Send + Sync,
{
    let limit = query.effective_limit();
    let total = select.clone().count(&state.db).await.map_err(internal)?;
    let mut select = select.order_by_desc(id_column);
    if let Some(cursor) = query.cursor {
        select = select.filter(id_column.lt(cursor));
    }
    let mut rows = select
        .limit(limit + 1)
        .all(&state.db)
        .await
        .map_err(internal)?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(&id_of)
    } else {
        None
    };
    Ok(RecordPage {
        rows: rows.into_iter().map(row).collect(),
        total,
        next_cursor,
        scope: scope_text(grant.filter()),
    })
}

fn at(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn ticket_row(t: ticket::Model) -> TicketRow {
    TicketRow {
        id: t.id,
        subject: t.subject,
        status: t.status,
        priority: t.priority,
        region: t.region,
        product_line: t.product_line,
        segment: t.segment,
        channel: t.channel,
        created_at: at(t.created_at),
    }
}

fn ticket_attributes(t: &ticket::Model) -> RecordAttributes {
    RecordAttributes {
        region: Some(t.region.clone()),
        product_line: Some(t.product_line.clone()),
        segment: Some(t.segment.clone()),
        channel: Some(t.channel.clone()),
    }
}

/// The condition a ticket grant puts on the tickets table.
pub fn ticket_condition(filter: &ListFilter) -> sea_orm::Condition {
    condition(filter, |a| {
        Some(match a {
            ScopeAttribute::Region => ticket::Column::Region,
            ScopeAttribute::ProductLine => ticket::Column::ProductLine,
            ScopeAttribute::Segment => ticket::Column::Segment,
            ScopeAttribute::Channel => ticket::Column::Channel,
        })
    })
}

/// Tickets the principal may see. Needs `ticket.view`; scoped assignments narrow the list.
pub async fn tickets(
    state: &AppState,
    grant: &Grant<TicketView>,
    query: &RecordQuery,
) -> Result<RecordPage<TicketRow>, AppError> {
    let mut select = ticket::Entity::find()
        .filter(ticket::Column::OrgId.eq(grant.org_id()))
        .filter(ticket_condition(grant.filter()));
    if let Some(region) = query.region.as_deref().filter(|r| !r.is_empty()) {
        select = select.filter(ticket::Column::Region.eq(region));
    }
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        select = select.filter(ticket::Column::Status.eq(status));
    }
    page(
        state,
        grant,
        select,
        ticket::Column::Id,
        query,
        |t| t.id,
        ticket_row,
    )
    .await
}

/// One ticket with the reason the principal may see it. Outside the grant: refused, audited.
pub async fn ticket(
    state: &AppState,
    grant: &Grant<TicketView>,
    id: i64,
    client: &ClientInfo,
) -> Result<TicketDetail, AppError> {
    let row = ticket::Entity::find_by_id(id)
        .filter(ticket::Column::OrgId.eq(grant.org_id()))
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let resource = Resource {
        org_id: row.org_id,
        kind: ResourceKind::Ticket,
        id: Some(row.id),
        attributes: ticket_attributes(&row),
    };
    let decision = grant.access().decide(Permission::TicketView, &resource);
    if !decision.is_allowed() {
        return Err(refuse_record(state, grant, &resource, client).await);
    }
    let customer_name = customer::Entity::find_by_id(row.customer_id)
        .filter(customer::Column::OrgId.eq(grant.org_id()))
        .one(&state.db)
        .await
        .map_err(internal)?
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(TicketDetail {
        why: decision.reason(Permission::TicketView, &grant.principal().display_name),
        ticket: ticket_row(row),
        customer_name,
    })
}

/// Survey responses the principal may see. Needs `feedback.view`.
pub async fn feedback(
    state: &AppState,
    grant: &Grant<FeedbackView>,
    query: &RecordQuery,
) -> Result<RecordPage<FeedbackRow>, AppError> {
    let mut select = feedback::Entity::find()
        .filter(feedback::Column::OrgId.eq(grant.org_id()))
        .filter(condition(grant.filter(), |a| {
            Some(match a {
                ScopeAttribute::Region => feedback::Column::Region,
                ScopeAttribute::ProductLine => feedback::Column::ProductLine,
                ScopeAttribute::Segment => feedback::Column::Segment,
                ScopeAttribute::Channel => feedback::Column::Channel,
            })
        }));
    if let Some(region) = query.region.as_deref().filter(|r| !r.is_empty()) {
        select = select.filter(feedback::Column::Region.eq(region));
    }
    page(
        state,
        grant,
        select,
        feedback::Column::Id,
        query,
        |f| f.id,
        |f| FeedbackRow {
            id: f.id,
            score: f.score,
            comment: f.comment,
            region: f.region,
            product_line: f.product_line,
            channel: f.channel,
            created_at: at(f.created_at),
        },
    )
    .await
}

/// Customers the principal may see; personal data only where they hold `customer.view_pii`
/// for that customer. Every page that shows personal data is recorded (`customer.pii_viewed`,
/// with the records shown), which also feeds the unusual-rate alert.
pub async fn customers(
    state: &AppState,
    grant: &Grant<CustomerView>,
    pii: Option<&Grant<CustomerViewPii>>,
    query: &RecordQuery,
    client: &crate::server::ctx::ClientInfo,
) -> Result<RecordPage<CustomerRow>, AppError> {
    let page = customer_page(state, grant, pii, query).await?;
    let shown: Vec<i64> = page
        .rows
        .iter()
        .filter(|c| c.email.is_some() || c.phone.is_some())
        .map(|c| c.id)
        .collect();
    if !shown.is_empty() {
        use crate::domain::audit::AuditAction;
        use crate::server::services::audit::{AuditedTxn, Target};
        let now = state.now();
        let mut txn = AuditedTxn::begin(&state.db, grant.org_id())
            .await
            .map_err(internal)?;
        txn.record_change(
            now,
            grant.principal(),
            AuditAction::CustomerPiiViewed,
            Target::labelled("customer", format!("{} customers", shown.len())),
            client,
            None,
            Some(serde_json::json!({ "records": shown.len(), "customer_ids": shown })),
        )
        .await
        .map_err(internal)?;
        txn.commit().await.map_err(internal)?;
    }
    Ok(page)
}

async fn customer_page(
    state: &AppState,
    grant: &Grant<CustomerView>,
    pii: Option<&Grant<CustomerViewPii>>,
    query: &RecordQuery,
) -> Result<RecordPage<CustomerRow>, AppError> {
    let mut select = customer::Entity::find()
        .filter(customer::Column::OrgId.eq(grant.org_id()))
        .filter(condition(grant.filter(), |a| match a {
            ScopeAttribute::Region => Some(customer::Column::Region),
            ScopeAttribute::ProductLine => Some(customer::Column::ProductLine),
            ScopeAttribute::Segment => Some(customer::Column::Segment),
            ScopeAttribute::Channel => None,
        }));
    if let Some(region) = query.region.as_deref().filter(|r| !r.is_empty()) {
        select = select.filter(customer::Column::Region.eq(region));
    }
    page(
        state,
        grant,
        select,
        customer::Column::Id,
        query,
        |c| c.id,
        |c| {
            let attributes = RecordAttributes {
                region: Some(c.region.clone()),
                product_line: Some(c.product_line.clone()),
                segment: Some(c.segment.clone()),
                channel: None,
            };
            let show = pii.is_some_and(|g| g.permits(&attributes));
            CustomerRow {
                id: c.id,
                name: c.name,
                email: show.then_some(c.email),
                phone: show.then_some(c.phone),
                region: c.region,
                product_line: c.product_line,
                segment: c.segment,
            }
        },
    )
    .await
}
