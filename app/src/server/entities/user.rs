//! Entity for the `users` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub display_name: String,
    /// Lower-cased display name: the sort and prefix-search key.
    pub name_key: String,
    pub status: String,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub region: Option<String>,
    /// Comma-separated product lines.
    pub product_lines: String,
    pub employment: String,
    pub manager_id: Option<i64>,
    pub is_admin: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
