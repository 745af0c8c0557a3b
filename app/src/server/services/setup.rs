//! First run: no default password anywhere. Until an administrator exists, a one-time setup
//! link (or `castellan admin create`) creates the organisation and its first administrator.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::people::{Employment, UserStatus};
pub use crate::domain::setup::SetupForm;
use crate::domain::values::{DisplayName, Email, NewPassword, OrgSlug};
use crate::domain::{AppError, FieldErrors};
use crate::server::ctx::{internal, ClientInfo, Principal};
use crate::server::entities::{organisation, password_credential, setup_token, user};
use crate::server::password::{random_token, sha256_hex};
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::state::AppState;
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};

/// True while no administrator exists in any organisation.
pub async fn needs_setup<C: ConnectionTrait>(conn: &C) -> Result<bool, DbErr> {
    // An indexed existence check: this runs on every anonymous page load.
    Ok(!crate::server::services::access::any_administrator(conn).await?)
}

/// Issues a one-time setup token, valid for 24 hours. Only its hash is stored.
pub async fn issue_setup_token(state: &AppState) -> Result<String, DbErr> {
    let token = random_token(32);
    // Only the newest link works: earlier ones printed by earlier starts are withdrawn.
    setup_token::Entity::delete_many()
        .filter(setup_token::Column::UsedAt.is_null())
        .exec(&state.db)
        .await?;
    setup_token::ActiveModel {
        token_hash: Set(sha256_hex(&token)),
        expires_at: Set(state.now() + Duration::hours(24)),
        used_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    Ok(token)
}

/// A validated first administrator.
#[derive(Debug, Clone)]
pub struct NewAdmin {
    pub org_name: DisplayName,
    pub org_slug: OrgSlug,
    pub email: Email,
    pub display_name: DisplayName,
    pub password: NewPassword,
}

impl NewAdmin {
    /// Validates every field at once.
    pub fn parse(form: &SetupForm, password: &str, confirm: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let org_name = DisplayName::parse(&form.org_name)
            .map_err(|e| errors.insert("org_name".into(), e))
            .ok();
        let org_slug = OrgSlug::parse(&form.org_slug)
            .map_err(|e| errors.insert("org_slug".into(), e))
            .ok();
        let email = Email::parse(&form.email)
            .map_err(|e| errors.insert("email".into(), e))
            .ok();
        let display_name = DisplayName::parse(&form.display_name)
            .map_err(|e| errors.insert("display_name".into(), e))
            .ok();
        let password = NewPassword::parse(password)
            .map_err(|e| errors.insert("password".into(), e))
            .ok();
        if password.is_some() && password.as_ref().map(NewPassword::expose) != Some(confirm) {
            errors.insert("confirm".into(), "The two passwords do not match.".into());
        }
        match (org_name, org_slug, email, display_name, password) {
            (Some(org_name), Some(org_slug), Some(email), Some(display_name), Some(password))
                if errors.is_empty() =>
            {
                Ok(NewAdmin {
                    org_name,
                    org_slug,
                    email,
                    display_name,
                    password,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Creates (or reuses, by slug) an organisation and an administrator in it, audited.
pub async fn create_administrator(
    state: &AppState,
    admin: &NewAdmin,
    actor_label: &str,
    client: &ClientInfo,
) -> Result<Principal, AppError> {
    let now = state.now();
    let password_hash = state
        .hash_password(admin.password.expose())
        .await
        .map_err(internal)?;
    let existing = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(admin.org_slug.as_str()))
        .one(&state.db)
        .await;
    let (mut txn, org, created) = match existing.map_err(internal)? {
        Some(org) => (
            AuditedTxn::begin(&state.db, org.id)
                .await
                .map_err(internal)?,
            org,
            false,
        ),
        None => {
            let new_org = organisation::ActiveModel {
                slug: Set(admin.org_slug.as_str().to_owned()),
                name: Set(admin.org_name.as_str().to_owned()),
                created_at: Set(now),
                ..Default::default()
            };
            let (txn, org) = AuditedTxn::begin_new_organisation(&state.db, new_org)
                .await
                .map_err(|e| match e.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                        AppError::field("org_slug", "This organisation address is taken.")
                    }
                    _ => internal(e),
                })?;
            (txn, org, true)
        }
    };
    if created {
        txn.record(
            now,
            NewEvent {
                actor: Actor::system(actor_label),
                action: AuditAction::OrganisationCreated,
                target: Target {
                    kind: Some("organisation".into()),
                    id: Some(org.id),
                    label: Some(org.name.clone()),
                },
                outcome: Outcome::Success,
                client: client.clone(),
                before: None,
                after: Some(serde_json::json!({ "slug": org.slug, "name": org.name })),
            },
        )
        .await
        .map_err(internal)?;
    }
    let row = user::ActiveModel {
        org_id: Set(org.id),
        email: Set(admin.email.as_str().to_owned()),
        display_name: Set(admin.display_name.as_str().to_owned()),
        name_key: Set(admin.display_name.as_str().to_lowercase()),
        status: Set(UserStatus::Active.code().to_owned()),
        department: Set(Some("IT".into())),
        job_title: Set(Some("Platform administrator".into())),
        region: Set(None),
        product_lines: Set(String::new()),
        employment: Set(Employment::Employee.code().to_owned()),
        manager_id: Set(None),
        is_admin: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn.conn())
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::field(
            "email",
            "Someone in this organisation already has this email.",
        ),
        _ => internal(e),
    })?;
    password_credential::ActiveModel {
        user_id: Set(row.id),
        org_id: Set(org.id),
        password_hash: Set(password_hash),
        updated_at: Set(now),
    }
    .insert(txn.conn())
    .await
    .map_err(internal)?;
    txn.record(
        now,
        NewEvent {
            actor: Actor::system(actor_label),
            action: AuditAction::AdministratorCreated,
            target: Target::user(row.id, row.email.clone()),
            outcome: Outcome::Success,
            client: client.clone(),
            before: None,
            after: Some(
                serde_json::json!({ "email": row.email, "display_name": row.display_name }),
            ),
        },
    )
    .await
    .map_err(internal)?;
    crate::server::services::access::assign_administrator(
        &mut txn,
        now,
        &Actor::system(actor_label),
        row.id,
        &row.email,
        client,
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(Principal {
        user_id: row.id,
        org_id: org.id,
        org_slug: org.slug,
        org_name: org.name,
        email: row.email,
        display_name: row.display_name,
    })
}

/// Completes first-run setup with a one-time token from the `serve` banner.
pub async fn complete_setup(
    state: &AppState,
    token: &str,
    admin: &NewAdmin,
    client: &ClientInfo,
) -> Result<Principal, AppError> {
    let expired = || {
        AppError::field(
            "token",
            "This setup link has expired or was used. Restart the server for a new one.",
        )
    };
    let stored = setup_token::Entity::find_by_id(sha256_hex(token))
        .one(&state.db)
        .await
        .map_err(internal)?;
    let Some(stored) = stored.filter(|t| t.used_at.is_none() && t.expires_at > state.now()) else {
        return Err(expired());
    };
    if !needs_setup(&state.db).await.map_err(internal)? {
        return Err(AppError::Conflict(
            "An administrator already exists. Sign in instead.".into(),
        ));
    }
    // Spend the token first: a second submission cannot create a second administrator.
    let spent = setup_token::Entity::update_many()
        .col_expr(
            setup_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(state.now()),
        )
        .filter(setup_token::Column::TokenHash.eq(stored.token_hash.clone()))
        .filter(setup_token::Column::UsedAt.is_null())
        .exec(&state.db)
        .await
        .map_err(internal)?;
    if spent.rows_affected != 1 {
        return Err(expired());
    }
    match create_administrator(state, admin, "first-run setup", client).await {
        Ok(principal) => Ok(principal),
        Err(err) => {
            // Give the token back so the person can correct the form and try again.
            setup_token::Entity::update_many()
                .col_expr(
                    setup_token::Column::UsedAt,
                    sea_orm::sea_query::Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                )
                .filter(setup_token::Column::TokenHash.eq(stored.token_hash))
                .exec(&state.db)
                .await
                .map_err(internal)?;
            Err(err)
        }
    }
}

/// Whether a setup token is currently valid (for the setup page to show the right message).
pub async fn setup_token_is_valid(state: &AppState, token: &str) -> Result<bool, DbErr> {
    let stored = setup_token::Entity::find_by_id(sha256_hex(token))
        .one(&state.db)
        .await?;
    Ok(stored.is_some_and(|t| t.used_at.is_none() && t.expires_at > state.now()))
}
