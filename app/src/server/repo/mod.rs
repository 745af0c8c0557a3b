//! Queries that are not a service step of their own.

pub mod sessions;
