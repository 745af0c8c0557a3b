//! Passkeys (WebAuthn credentials) as a second factor: a person may register several, each
//! with a name they chose. Only public keys and counters are stored.

use crate::m20261125_000001_foundation::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn name(text: &'static str) -> Alias {
    Alias::new(text)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(name("mfa_passkeys"))
                .col(big_pk_auto(name("id")))
                .col(big_integer(name("org_id")))
                .col(big_integer(name("user_id")))
                .col(string_len(name("name"), 60))
                // base64url of the credential id the authenticator gave.
                .col(string_len(name("credential_id"), 1400))
                // webauthn-rs's `Passkey`: the public key, its algorithm and signature counter.
                .col(text(name("passkey_json")))
                .col(timestamp_with_time_zone(name("created_at")))
                .col(timestamp_with_time_zone_null(name("last_used_at")))
                .foreign_key(&mut fk(
                    "fk_mfa_passkeys_user",
                    (name("mfa_passkeys"), name("user_id")),
                    (name("users"), name("id")),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_mfa_passkeys_user",
            name("mfa_passkeys"),
            &["org_id", "user_id"],
        ))
        .await?;
        m.create_index(
            index(
                "ux_mfa_passkeys_credential",
                name("mfa_passkeys"),
                &["credential_id"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(name("mfa_passkeys")).to_owned())
            .await
    }
}
