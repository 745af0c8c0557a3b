//! Server functions: thin. Each loads the request context, asks the decision engine for the
//! permission it needs, calls a service, and maps the error. Reads are GET (safe, CSRF-exempt);
//! writes are POST and pass the CSRF layer.

pub mod access;
pub mod alerts;
pub mod audit;
pub mod audit_operations;
pub mod auth;
pub mod dashboard;
pub mod mfa;
pub mod passkey;
pub mod people;
pub mod session;
pub mod units;
pub mod workspace;
