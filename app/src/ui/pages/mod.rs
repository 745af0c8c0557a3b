//! One module per console area.

pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod people;
pub mod profile;
pub mod setup;
