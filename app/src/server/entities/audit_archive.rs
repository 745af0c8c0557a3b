//! Entity for the `audit_archives` table: events moved out of the database into compressed
//! NDJSON files, with the chain positions on both sides.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_archives")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    pub prev_hash: String,
    pub last_hash: String,
    pub events: i64,
    pub oldest_at: DateTimeUtc,
    pub newest_at: DateTimeUtc,
    pub file_name: String,
    pub file_sha256: String,
    pub file_bytes: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
