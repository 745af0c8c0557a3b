//! Entity for the `audit_checkpoints` table: Ed25519-signed chain heads.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_checkpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub seq: i64,
    pub hash: String,
    pub signed_at: DateTimeUtc,
    /// base64 of the Ed25519 public key that signed.
    pub public_key: String,
    /// base64 of the signature over [`crate::server::services::checkpoint::signed_message`].
    pub signature: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
