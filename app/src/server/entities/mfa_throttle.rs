//! Entity for the `mfa_throttle` table: consecutive second-factor failures and locks.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mfa_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub org_id: i64,
    /// Failures since the last success or lock.
    pub failures: i32,
    /// Locks so far: each lasts twice as long as the one before.
    pub locks: i32,
    pub locked_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
