//! Plain domain types shared by the server and the browser: no leptos, axum or sea-orm here.

pub mod access;
pub mod audit;
pub mod error;
pub mod flash;
pub mod mfa;
pub mod people;
pub mod permission;
pub mod setup;
pub mod values;
pub mod workspace;

pub use error::{AppError, FieldErrors};
