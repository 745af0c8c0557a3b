//! The CX workspace: the tickets, feedback and customers the console protects, as lists show
//! them.

use serde::{Deserialize, Serialize};

/// Filters and position of a record list. Newest first; the cursor is the last id seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordQuery {
    #[serde(default)]
    pub region: Option<String>,
    /// Ticket status (tickets only).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub cursor: Option<i64>,
    #[serde(default)]
    pub limit: u64,
}

impl RecordQuery {
    pub const DEFAULT_LIMIT: u64 = 25;
    pub const MAX_LIMIT: u64 = 100;

    pub fn effective_limit(&self) -> u64 {
        match self.limit {
            0 => Self::DEFAULT_LIMIT,
            n => n.min(Self::MAX_LIMIT),
        }
    }
}

/// Ticket statuses of the demo workspace.
pub const TICKET_STATUSES: [&str; 4] = ["open", "pending", "solved", "closed"];

/// One page of records, with the total the principal may see under the filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordPage<T> {
    pub rows: Vec<T>,
    pub total: u64,
    pub next_cursor: Option<i64>,
    /// What the principal's access covers, in words: "everywhere" or "region = EMEA".
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRow {
    pub id: i64,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub region: String,
    pub product_line: String,
    pub segment: String,
    pub channel: String,
    pub created_at: String,
}

/// A ticket with the engine's answer to "why can I see this?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: TicketRow,
    pub customer_name: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackRow {
    pub id: i64,
    pub score: i32,
    pub comment: String,
    pub region: String,
    pub product_line: String,
    pub channel: String,
    pub created_at: String,
}

/// A customer; `email` and `phone` are `None` unless the viewer holds `customer.view_pii`
/// for this customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub region: String,
    pub product_line: String,
    pub segment: String,
}
