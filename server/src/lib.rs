//! Castellan's server: command line, configuration, start-up and the HTTP layers around the
//! Leptos console.

pub mod cli;
pub mod config;
pub mod http;
pub mod startup;
