//! Entity for the `mfa_passkeys` table: a person's registered passkeys.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mfa_passkeys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    /// What the person called it ("Work laptop").
    pub name: String,
    /// base64url of the credential id.
    pub credential_id: String,
    /// The serialized `webauthn_rs::prelude::Passkey`: public key and signature counter.
    pub passkey_json: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
