//! Business steps. Each write is one [`audit::AuditedTxn`]: the change and its audit events
//! commit together or not at all.

pub mod access;
pub mod alerts;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod checkpoint;
pub mod dashboard;
pub mod demo;
pub mod jobs;
pub mod mfa;
pub mod passkey;
pub mod people;
pub mod retention;
pub mod setup;
pub mod units;
pub mod webhooks;
pub mod workspace;
