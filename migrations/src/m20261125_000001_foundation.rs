//! Organisations, people, credentials, sessions, the audit chain, sign-in throttling, first-run
//! setup tokens, and the CX records the console protects.

use sea_orm_migration::{prelude::*, schema::*, sea_orm};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    OrgId,
    Email,
    DisplayName,
    NameKey,
    Status,
    Department,
    JobTitle,
    Region,
    ProductLines,
    Employment,
    ManagerId,
    IsAdmin,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PasswordCredentials {
    Table,
    UserId,
    OrgId,
    PasswordHash,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    UserId,
    OrgId,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrgId,
    Seq,
    OccurredAt,
    ActorId,
    ActorLabel,
    Action,
    TargetType,
    TargetId,
    TargetLabel,
    Outcome,
    ClientAddr,
    UserAgent,
    BeforeJson,
    AfterJson,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    OrgId,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum AuthThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LockedUntil,
}

#[derive(DeriveIden)]
enum SetupTokens {
    Table,
    TokenHash,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    OrgId,
    Name,
    Email,
    Phone,
    Region,
    ProductLine,
    Segment,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
    OrgId,
    CustomerId,
    Subject,
    Status,
    Priority,
    Region,
    ProductLine,
    Segment,
    Channel,
    AssigneeId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
    OrgId,
    CustomerId,
    Score,
    Comment,
    Region,
    ProductLine,
    Segment,
    Channel,
    CreatedAt,
}

pub(crate) fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

pub(crate) fn index(
    name: &str,
    table: impl IntoIden,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut statement = Index::create().name(name).table(table).to_owned();
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Byte-order comparison for the search keys on both backends, so that prefix ranges mean
        // the same thing everywhere and stay index range scans (SQLite's default is already
        // binary; PostgreSQL's depends on the cluster locale).
        let binary = |mut column: ColumnDef| {
            if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                column.extra("COLLATE \"C\"");
            }
            column
        };
        m.create_table(
            Table::create()
                .table(Organisations::Table)
                .col(big_pk_auto(Organisations::Id))
                .col(string_len_uniq(Organisations::Slug, 40))
                .col(string_len(Organisations::Name, 120))
                .col(timestamp_with_time_zone(Organisations::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(big_integer(Users::OrgId))
                .col(binary(string_len(Users::Email, 254)))
                .col(string_len(Users::DisplayName, 120))
                .col(binary(string_len(Users::NameKey, 120)))
                .col(string_len(Users::Status, 16))
                .col(string_len_null(Users::Department, 80))
                .col(string_len_null(Users::JobTitle, 80))
                .col(string_len_null(Users::Region, 16))
                .col(string_len(Users::ProductLines, 400))
                .col(string_len(Users::Employment, 16))
                .col(big_integer_null(Users::ManagerId))
                .col(boolean(Users::IsAdmin))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_users_org",
                    (Users::Table, Users::OrgId),
                    (Organisations::Table, Organisations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_users_manager",
                    (Users::Table, Users::ManagerId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        // Keyset pagination and prefix search stay index-only walks at a million users.
        m.create_index(
            index("ux_users_org_email", Users::Table, &["org_id", "email"])
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_users_org_name",
            Users::Table,
            &["org_id", "name_key", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_users_org_status_name",
            Users::Table,
            &["org_id", "status", "name_key", "id"],
        ))
        .await?;
        m.create_index(index(
            "ix_users_org_status_email",
            Users::Table,
            &["org_id", "status", "email"],
        ))
        .await?;
        m.create_index(index(
            "ix_users_org_created",
            Users::Table,
            &["org_id", "id"],
        ))
        .await?;
        m.create_index(index("ix_users_admin", Users::Table, &["is_admin"]))
            .await?;
        m.create_index(index("ix_users_manager", Users::Table, &["manager_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table(PasswordCredentials::Table)
                .col(big_integer(PasswordCredentials::UserId).primary_key())
                .col(big_integer(PasswordCredentials::OrgId))
                .col(string_len(PasswordCredentials::PasswordHash, 200))
                .col(timestamp_with_time_zone(PasswordCredentials::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_password_user",
                    (PasswordCredentials::Table, PasswordCredentials::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string_len(Sessions::IdHash, 64).primary_key())
                .col(big_integer_null(Sessions::UserId))
                .col(big_integer_null(Sessions::OrgId))
                .col(text(Sessions::Data))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_sessions_user", Sessions::Table, &["user_id"]))
            .await?;
        m.create_index(index(
            "ix_sessions_expires",
            Sessions::Table,
            &["expires_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(big_pk_auto(AuditEvents::Id))
                .col(big_integer(AuditEvents::OrgId))
                .col(big_integer(AuditEvents::Seq))
                .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                .col(big_integer_null(AuditEvents::ActorId))
                .col(string_len(AuditEvents::ActorLabel, 300))
                .col(string_len(AuditEvents::Action, 64))
                .col(string_len_null(AuditEvents::TargetType, 32))
                .col(big_integer_null(AuditEvents::TargetId))
                .col(string_len_null(AuditEvents::TargetLabel, 300))
                .col(string_len(AuditEvents::Outcome, 16))
                .col(string_len_null(AuditEvents::ClientAddr, 64))
                .col(string_len_null(AuditEvents::UserAgent, 300))
                .col(text_null(AuditEvents::BeforeJson))
                .col(text_null(AuditEvents::AfterJson))
                .col(string_len(AuditEvents::PrevHash, 64))
                .col(string_len(AuditEvents::Hash, 64))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_audit_org_seq", AuditEvents::Table, &["org_id", "seq"])
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_audit_org_action_time",
            AuditEvents::Table,
            &["org_id", "action", "occurred_at"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(AuditHeads::Table)
                .col(big_integer(AuditHeads::OrgId).primary_key())
                .col(big_integer(AuditHeads::Seq))
                .col(string_len(AuditHeads::Hash, 64))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuthThrottle::Table)
                .col(string_len(AuthThrottle::Key, 400).primary_key())
                .col(integer(AuthThrottle::Failures))
                .col(timestamp_with_time_zone(AuthThrottle::WindowStartedAt))
                .col(timestamp_with_time_zone_null(AuthThrottle::LockedUntil))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SetupTokens::Table)
                .col(string_len(SetupTokens::TokenHash, 64).primary_key())
                .col(timestamp_with_time_zone(SetupTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(SetupTokens::UsedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(big_pk_auto(Customers::Id))
                .col(big_integer(Customers::OrgId))
                .col(string_len(Customers::Name, 200))
                .col(string_len(Customers::Email, 254))
                .col(string_len(Customers::Phone, 40))
                .col(string_len(Customers::Region, 16))
                .col(string_len(Customers::ProductLine, 40))
                .col(string_len(Customers::Segment, 16))
                .col(timestamp_with_time_zone(Customers::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_customers_org",
                    (Customers::Table, Customers::OrgId),
                    (Organisations::Table, Organisations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_customers_org_region",
            Customers::Table,
            &["org_id", "region", "id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Tickets::Table)
                .col(big_pk_auto(Tickets::Id))
                .col(big_integer(Tickets::OrgId))
                .col(big_integer(Tickets::CustomerId))
                .col(string_len(Tickets::Subject, 300))
                .col(string_len(Tickets::Status, 16))
                .col(string_len(Tickets::Priority, 16))
                .col(string_len(Tickets::Region, 16))
                .col(string_len(Tickets::ProductLine, 40))
                .col(string_len(Tickets::Segment, 16))
                .col(string_len(Tickets::Channel, 16))
                .col(big_integer_null(Tickets::AssigneeId))
                .col(timestamp_with_time_zone(Tickets::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_tickets_customer",
                    (Tickets::Table, Tickets::CustomerId),
                    (Customers::Table, Customers::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_tickets_org_region",
            Tickets::Table,
            &["org_id", "region", "id"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Feedback::Table)
                .col(big_pk_auto(Feedback::Id))
                .col(big_integer(Feedback::OrgId))
                .col(big_integer(Feedback::CustomerId))
                .col(integer(Feedback::Score))
                .col(text(Feedback::Comment))
                .col(string_len(Feedback::Region, 16))
                .col(string_len(Feedback::ProductLine, 40))
                .col(string_len(Feedback::Segment, 16))
                .col(string_len(Feedback::Channel, 16))
                .col(timestamp_with_time_zone(Feedback::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_feedback_customer",
                    (Feedback::Table, Feedback::CustomerId),
                    (Customers::Table, Customers::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_feedback_org_region",
            Feedback::Table,
            &["org_id", "region", "id"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Feedback::Table.into_iden(),
            Tickets::Table.into_iden(),
            Customers::Table.into_iden(),
            SetupTokens::Table.into_iden(),
            AuthThrottle::Table.into_iden(),
            AuditHeads::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            Sessions::Table.into_iden(),
            PasswordCredentials::Table.into_iden(),
            Users::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
