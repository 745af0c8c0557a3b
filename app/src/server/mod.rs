//! Server-only code: request context, the decision engine, services, repositories, entities.

pub mod authz;
pub mod ctx;
pub mod entities;
pub mod mfa;
pub mod password;
pub mod repo;
pub mod services;
pub mod state;

pub use ctx::{ClientInfo, Principal, RequestCtx};
pub use state::{AppState, AuthSettings, Clock, SystemClock};
