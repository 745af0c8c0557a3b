//! Database migrations for Castellan. One file per migration, each with `up` and `down`, written
//! with sea-query so the same schema is produced on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261125_000002_access;
mod m20261125_000003_mfa;
mod m20261125_000004_passkeys;
mod m20261125_000005_audit_log;
mod m20261130_000006_audit_operations;
mod m20261130_000007_audit_actor_filters;

/// Applies Castellan's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_access::Migration),
            Box::new(m20261125_000003_mfa::Migration),
            Box::new(m20261125_000004_passkeys::Migration),
            Box::new(m20261125_000005_audit_log::Migration),
            Box::new(m20261130_000006_audit_operations::Migration),
            Box::new(m20261130_000007_audit_actor_filters::Migration),
        ]
    }
}
