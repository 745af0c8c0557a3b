//! The one error type that crosses the wire between the server and the console.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Field name → message, for forms. Ordered so that messages render in a stable order.
pub type FieldErrors = BTreeMap<String, String>;

/// Every failure a server function can report to the browser. Internal details never leave the
/// server: `Internal` carries only a reference id that can be found in the server log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do this.")]
    Forbidden,
    #[error("This action needs a second factor.")]
    MfaRequired,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Please correct the highlighted fields.")]
    Validation(FieldErrors),
    #[error("{0}")]
    RateLimited(String),
    #[error("Something went wrong on our side (reference {0}).")]
    Internal(String),
}

impl AppError {
    /// A validation error about a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), message.into());
        AppError::Validation(errors)
    }

    /// The message for one field, when this is a validation error naming it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Validation(errors) => errors.get(field).cloned(),
            _ => None,
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::MfaRequired => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::Validation(_) => 422,
            AppError::RateLimited(_) => 429,
            AppError::Internal(_) => 500,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // Malformed arguments are the client's fault and must not look like a crash.
            E::Args(message) | E::MissingArg(message) => {
                AppError::field("form", format!("The form could not be read: {message}"))
            }
            E::Request(_) => AppError::Internal("network".into()),
            _ => AppError::Internal("server-fn".into()),
        }
    }
}
