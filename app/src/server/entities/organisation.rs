//! Entity for the `organisations` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_at: DateTimeUtc,
    /// Everyone must use a second factor (after the grace period).
    pub mfa_required_for_all: bool,
    /// Days a person has, from being added, before a required second factor is enforced.
    pub mfa_grace_days: i32,
    /// Days audit events stay in the database before they are archived; `None` keeps them.
    pub audit_retention_days: Option<i32>,
    /// Admin changes outside these hours (UTC, start inclusive, end exclusive) raise an alert.
    pub business_hours_start: i32,
    pub business_hours_end: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
