//! Operating the audit log: signed checkpoints of the chain head, archives of events past the
//! retention period, webhook sinks that stream the log to a SIEM, and alerts on unusual activity.

use crate::m20261125_000001_foundation::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn name(text: &'static str) -> Alias {
    Alias::new(text)
}

fn org_fk(table: &'static str) -> ForeignKeyCreateStatement {
    fk(
        &format!("fk_{table}_org"),
        (name(table), name("org_id")),
        (name("organisations"), name("id")),
        ForeignKeyAction::Cascade,
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key to organisations, like the events: deleting an organisation's row must
        // not take the evidence of its chain with it.
        m.create_table(
            Table::create()
                .table(name("audit_checkpoints"))
                .col(big_pk_auto(name("id")))
                .col(big_integer(name("org_id")))
                .col(big_integer(name("seq")))
                .col(string_len(name("hash"), 64))
                .col(timestamp_with_time_zone(name("signed_at")))
                // base64 of the Ed25519 public key that signed, and of the signature.
                .col(string_len(name("public_key"), 64))
                .col(string_len(name("signature"), 100))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_audit_checkpoints_org_seq",
                name("audit_checkpoints"),
                &["org_id", "seq"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(name("audit_archives"))
                .col(big_pk_auto(name("id")))
                .col(big_integer(name("org_id")))
                .col(big_integer(name("first_seq")))
                .col(big_integer(name("last_seq")))
                // The hash before the first archived event and of the last: the chain resumes
                // in the database from `last_hash`.
                .col(string_len(name("prev_hash"), 64))
                .col(string_len(name("last_hash"), 64))
                .col(big_integer(name("events")))
                .col(timestamp_with_time_zone(name("oldest_at")))
                .col(timestamp_with_time_zone(name("newest_at")))
                .col(string_len(name("file_name"), 200))
                .col(string_len(name("file_sha256"), 64))
                .col(big_integer(name("file_bytes")))
                .col(timestamp_with_time_zone(name("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_audit_archives_org_seq",
            name("audit_archives"),
            &["org_id", "last_seq"],
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table(name("organisations"))
                // Days events stay in the database; none means forever.
                .add_column(integer_null(name("audit_retention_days")))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(name("organisations"))
                // Admin changes outside [start, end) hours, UTC, raise an alert.
                .add_column(integer(name("business_hours_start")).default(8))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(name("organisations"))
                .add_column(integer(name("business_hours_end")).default(18))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(name("webhook_sinks"))
                .col(big_pk_auto(name("id")))
                .col(big_integer(name("org_id")))
                .col(string_len(name("name"), 100))
                .col(string_len(name("url"), 500))
                // `all` or `alerts`.
                .col(string_len(name("events"), 20))
                // base64 of nonce and AES-256-GCM ciphertext of the HMAC secret.
                .col(string_len(name("secret_enc"), 200))
                .col(boolean(name("enabled")))
                // Every event up to this sequence number was accepted by the receiver.
                .col(big_integer(name("delivered_seq")))
                .col(integer(name("failures")))
                .col(timestamp_with_time_zone(name("next_attempt_at")))
                // A replica delivering holds the sink until then, so batches never overlap.
                .col(timestamp_with_time_zone_null(name("lease_until")))
                .col(string_len_null(name("last_error"), 300))
                .col(timestamp_with_time_zone_null(name("last_success_at")))
                .col(timestamp_with_time_zone(name("created_at")))
                .foreign_key(&mut org_fk("webhook_sinks"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_webhook_sinks_org_name",
                name("webhook_sinks"),
                &["org_id", "name"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(name("alerts"))
                .col(big_pk_auto(name("id")))
                .col(big_integer(name("org_id")))
                .col(string_len(name("kind"), 40))
                // Who or what it is about: an email, an address.
                .col(string_len(name("subject"), 300))
                .col(string_len(name("summary"), 500))
                // The event that raised it.
                .col(big_integer(name("event_seq")))
                .col(timestamp_with_time_zone(name("raised_at")))
                .col(big_integer_null(name("acknowledged_by")))
                .col(string_len_null(name("acknowledged_by_label"), 300))
                .col(timestamp_with_time_zone_null(name("acknowledged_at")))
                .foreign_key(&mut org_fk("alerts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alerts_org_kind_subject",
            name("alerts"),
            &["org_id", "kind", "subject", "raised_at"],
        ))
        .await?;
        m.create_index(index(
            "ix_alerts_org_ack_id",
            name("alerts"),
            &["org_id", "acknowledged_at", "id"],
        ))
        .await?;
        // How far the alert rules have read each organisation's chain.
        m.create_table(
            Table::create()
                .table(name("alert_cursors"))
                .col(big_integer(name("org_id")).primary_key())
                .col(big_integer(name("seq")))
                .foreign_key(&mut org_fk("alert_cursors"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "alert_cursors",
            "alerts",
            "webhook_sinks",
            "audit_archives",
            "audit_checkpoints",
        ] {
            m.drop_table(Table::drop().table(name(table)).to_owned())
                .await?;
        }
        for column in [
            "business_hours_end",
            "business_hours_start",
            "audit_retention_days",
        ] {
            m.alter_table(
                Table::alter()
                    .table(name("organisations"))
                    .drop_column(name(column))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
