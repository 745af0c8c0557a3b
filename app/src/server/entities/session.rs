//! Entity for the `sessions` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// SHA-256 of the session id: a copy of this table does not hand out live sessions.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    pub user_id: Option<i64>,
    pub org_id: Option<i64>,
    pub data: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
