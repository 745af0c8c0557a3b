//! One module per console area.

pub mod access;
pub mod alerts;
pub mod audit;
pub mod audit_operations;
pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod people;
pub mod profile;
pub mod security;
pub mod setup;
pub mod units;
pub mod workspace;
