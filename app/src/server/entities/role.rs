//! Entity for the `roles` table: a role: a named set of permissions, possibly including other roles.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    /// Lower-cased name: unique per organisation, the sort key.
    pub name_key: String,
    pub description: String,
    /// The template key of a built-in role; such roles are read-only.
    pub template: Option<String>,
    /// People holding this role must use a second factor (built-in roles: from the template).
    pub requires_mfa: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
