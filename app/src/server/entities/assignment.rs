//! Entity for the `assignments` table: a role given to a user, a team or a group.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub role_id: i64,
    /// "user", "team" or "group".
    pub subject_kind: String,
    pub subject_id: i64,
    /// The scope as JSON: `{"region": ["EMEA"]}`; `{}` for the whole organisation.
    pub scope: String,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
