//! Database access that is not a plain entity query: the session store, and the translation of
//! the engine's list filters into SQL.

pub mod audit_chain;
pub mod scope;
pub mod sessions;
