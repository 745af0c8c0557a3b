//! sea-orm entities. Only `repo/` and `services/` use them; pages see domain types.

pub mod audit_event;
pub mod audit_head;
pub mod auth_throttle;
pub mod customer;
pub mod feedback;
pub mod organisation;
pub mod password_credential;
pub mod session;
pub mod setup_token;
pub mod ticket;
pub mod user;
