//! Indexes for the audit log's filters: each lets a filtered page be read newest first straight
//! from the index (by actor, by action, by target), and a time range be found without a scan.

use crate::m20261125_000001_foundation::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &[&str]); 4] = [
    ("ix_audit_org_actor_seq", &["org_id", "actor_label", "seq"]),
    ("ix_audit_org_action_seq", &["org_id", "action", "seq"]),
    (
        "ix_audit_org_target_seq",
        &["org_id", "target_type", "target_id", "seq"],
    ),
    ("ix_audit_org_time", &["org_id", "occurred_at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in INDEXES {
            m.create_index(index(name, Alias::new("audit_events"), columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(Alias::new("audit_events"))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
