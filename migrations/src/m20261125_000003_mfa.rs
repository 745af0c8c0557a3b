//! Second factors: TOTP secrets (encrypted), recovery codes (hashed), the per-person throttle
//! of second-factor attempts, and who must use one.

use crate::m20261125_000001_foundation::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn name(text: &'static str) -> Alias {
    Alias::new(text)
}

fn user_fk(table: &'static str) -> ForeignKeyCreateStatement {
    fk(
        &format!("fk_{table}_user"),
        (name(table), name("user_id")),
        (name("users"), name("id")),
        ForeignKeyAction::Cascade,
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(name("mfa_totp"))
                .col(big_integer(name("user_id")).primary_key())
                .col(big_integer(name("org_id")))
                // base64 of nonce and AES-256-GCM ciphertext; never the plain secret.
                .col(string_len(name("secret_enc"), 200))
                .col(timestamp_with_time_zone_null(name("confirmed_at")))
                // The last 30-second step whose code was accepted: no code is accepted twice.
                .col(big_integer_null(name("last_used_step")))
                .col(timestamp_with_time_zone_null(name("last_used_at")))
                .col(timestamp_with_time_zone(name("created_at")))
                .foreign_key(&mut user_fk("mfa_totp"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(name("mfa_recovery_codes"))
                .col(big_pk_auto(name("id")))
                .col(big_integer(name("org_id")))
                .col(big_integer(name("user_id")))
                .col(string_len(name("code_hash"), 64))
                .col(timestamp_with_time_zone_null(name("used_at")))
                .col(timestamp_with_time_zone(name("created_at")))
                .foreign_key(&mut user_fk("mfa_recovery_codes"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_mfa_recovery_codes_user",
            name("mfa_recovery_codes"),
            &["user_id", "code_hash"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(name("mfa_throttle"))
                .col(big_integer(name("user_id")).primary_key())
                .col(big_integer(name("org_id")))
                .col(integer(name("failures")))
                .col(integer(name("locks")))
                .col(timestamp_with_time_zone_null(name("locked_until")))
                .foreign_key(&mut user_fk("mfa_throttle"))
                .to_owned(),
        )
        .await?;
        // Who must use a second factor: everyone (an organisation setting, after a grace period
        // from when a person was added), and holders of roles that say so.
        m.alter_table(
            Table::alter()
                .table(name("organisations"))
                .add_column(boolean(name("mfa_required_for_all")).default(false))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(name("organisations"))
                .add_column(integer(name("mfa_grace_days")).default(7))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(name("roles"))
                .add_column(boolean(name("requires_mfa")).default(false))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            ("roles", "requires_mfa"),
            ("organisations", "mfa_grace_days"),
            ("organisations", "mfa_required_for_all"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(name(table))
                    .drop_column(name(column))
                    .to_owned(),
            )
            .await?;
        }
        for table in ["mfa_throttle", "mfa_recovery_codes", "mfa_totp"] {
            m.drop_table(Table::drop().table(name(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
