//! Castellan's console: domain types, server functions, pages, and (with the `ssr` feature) the
//! server side: request context, decision engine, services and repositories.

#![recursion_limit = "256"]

pub mod api;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

pub use ui::{shell, App};
