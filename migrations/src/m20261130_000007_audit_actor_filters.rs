//! Widens the audit log's actor index with the action and the outcome, after the sequence
//! number: a page filtered by a person and an action, a category or an outcome ("Ana's failed
//! sign-ins") still walks the person's events newest first, but rejects the ones that do not
//! match from the index itself instead of reading each row from the table. It replaces the
//! narrower index, which it serves in full, so writes keep the same number of indexes.

use crate::m20261125_000001_foundation::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NARROW: (&str, &[&str]) = ("ix_audit_org_actor_seq", &["org_id", "actor_label", "seq"]);
const WIDE: (&str, &[&str]) = (
    "ix_audit_org_actor_seq_filters",
    &["org_id", "actor_label", "seq", "action", "outcome"],
);

async fn replace(
    m: &SchemaManager<'_>,
    old: (&str, &[&'static str]),
    new: (&str, &[&'static str]),
) -> Result<(), DbErr> {
    m.create_index(index(new.0, Alias::new("audit_events"), new.1))
        .await?;
    m.drop_index(
        Index::drop()
            .name(old.0)
            .table(Alias::new("audit_events"))
            .to_owned(),
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        replace(m, NARROW, WIDE).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        replace(m, WIDE, NARROW).await
    }
}
