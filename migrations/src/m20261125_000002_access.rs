//! Roles, teams, groups and assignments: the data of the decision engine. Also indexes the CX
//! records by organisation and id, for unscoped lists.

use crate::m20261125_000001_foundation::{fk, index};
use sea_orm_migration::{prelude::*, schema::*, sea_orm};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn name(text: &'static str) -> Alias {
    Alias::new(text)
}

/// A unit table (roles, teams, user_groups): id, organisation, a unique name per organisation.
fn unit_table(
    m: &SchemaManager,
    table: &'static str,
    extra: Vec<ColumnDef>,
) -> TableCreateStatement {
    let mut name_key = string_len(name("name_key"), 120);
    if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        name_key.extra("COLLATE \"C\"");
    }
    let mut statement = Table::create()
        .table(name(table))
        .col(big_pk_auto(name("id")))
        .col(big_integer(name("org_id")))
        .col(string_len(name("name"), 120))
        .col(name_key)
        .col(string_len(name("description"), 500))
        .col(timestamp_with_time_zone(name("created_at")))
        .col(timestamp_with_time_zone(name("updated_at")))
        .foreign_key(&mut fk(
            &format!("fk_{table}_org"),
            (name(table), name("org_id")),
            (name("organisations"), name("id")),
            ForeignKeyAction::Cascade,
        ))
        .to_owned();
    for mut column in extra {
        statement.col(&mut column);
    }
    statement
}

/// A link table between two rows of the same organisation, keyed by both ids.
fn link_table(
    table: &'static str,
    left: (&'static str, &'static str),
    right: (&'static str, &'static str),
) -> TableCreateStatement {
    Table::create()
        .table(name(table))
        .col(big_integer(name("org_id")))
        .col(big_integer(name(left.0)))
        .col(big_integer(name(right.0)))
        .primary_key(Index::create().col(name(left.0)).col(name(right.0)))
        .foreign_key(&mut fk(
            &format!("fk_{table}_{}", left.0),
            (name(table), name(left.0)),
            (name(left.1), name("id")),
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut fk(
            &format!("fk_{table}_{}", right.0),
            (name(table), name(right.0)),
            (name(right.1), name("id")),
            ForeignKeyAction::Cascade,
        ))
        .to_owned()
}

type Link = (
    &'static str,
    (&'static str, &'static str),
    (&'static str, &'static str),
);

/// Link tables: (table, (left column, its table), (right column, its table)).
const LINKS: [Link; 5] = [
    (
        "role_includes",
        ("role_id", "roles"),
        ("included_id", "roles"),
    ),
    ("role_owners", ("role_id", "roles"), ("user_id", "users")),
    ("team_members", ("team_id", "teams"), ("user_id", "users")),
    (
        "group_members",
        ("group_id", "user_groups"),
        ("user_id", "users"),
    ),
    (
        "group_children",
        ("parent_id", "user_groups"),
        ("child_id", "user_groups"),
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(unit_table(
            m,
            "roles",
            vec![string_len_null(name("template"), 40)],
        ))
        .await?;
        m.create_table(unit_table(
            m,
            "teams",
            vec![big_integer_null(name("lead_id"))],
        ))
        .await?;
        m.create_table(unit_table(m, "user_groups", Vec::new()))
            .await?;
        for table in ["roles", "teams", "user_groups"] {
            m.create_index(
                index(
                    &format!("ux_{table}_org_name"),
                    name(table),
                    &["org_id", "name_key"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(name("role_permissions"))
                .col(big_integer(name("org_id")))
                .col(big_integer(name("role_id")))
                .col(string_len(name("permission"), 60))
                .primary_key(Index::create().col(name("role_id")).col(name("permission")))
                .foreign_key(&mut fk(
                    "fk_role_permissions_role",
                    (name("role_permissions"), name("role_id")),
                    (name("roles"), name("id")),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        for (table, left, right) in LINKS.iter() {
            m.create_table(link_table(table, *left, *right)).await?;
            // Reverse lookups: a user's teams and groups, a group's parents, a role's users.
            m.create_index(index(
                &format!("ix_{table}_{}", right.0),
                name(table),
                &[right.0],
            ))
            .await?;
        }

        m.create_table(
            Table::create()
                .table(name("assignments"))
                .col(big_pk_auto(name("id")))
                .col(big_integer(name("org_id")))
                .col(big_integer(name("role_id")))
                .col(string_len(name("subject_kind"), 8))
                .col(big_integer(name("subject_id")))
                .col(text(name("scope")))
                .col(timestamp_with_time_zone_null(name("starts_at")))
                .col(timestamp_with_time_zone_null(name("ends_at")))
                .col(big_integer_null(name("created_by")))
                .col(timestamp_with_time_zone(name("created_at")))
                .foreign_key(&mut fk(
                    "fk_assignments_role",
                    (name("assignments"), name("role_id")),
                    (name("roles"), name("id")),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_assignments_subject",
            name("assignments"),
            &["org_id", "subject_kind", "subject_id"],
        ))
        .await?;
        m.create_index(index(
            "ix_assignments_role",
            name("assignments"),
            &["role_id"],
        ))
        .await?;

        // Unscoped lists walk (org_id, id); region scopes use the foundation's (org_id, region,
        // id); product-line scopes get their own range.
        for table in ["tickets", "feedback", "customers"] {
            m.create_index(index(
                &format!("ix_{table}_org_id"),
                name(table),
                &["org_id", "id"],
            ))
            .await?;
            m.create_index(index(
                &format!("ix_{table}_org_product_line"),
                name(table),
                &["org_id", "product_line", "id"],
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["tickets", "feedback", "customers"] {
            for suffix in ["org_id", "org_product_line"] {
                m.drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_{suffix}"))
                        .table(name(table))
                        .to_owned(),
                )
                .await?;
            }
        }
        for table in [
            "assignments",
            "group_children",
            "group_members",
            "team_members",
            "role_owners",
            "role_includes",
            "role_permissions",
            "user_groups",
            "teams",
            "roles",
        ] {
            m.drop_table(Table::drop().table(name(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
