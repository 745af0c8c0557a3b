//! Sign-in, sign-out, session principals and throttling of failed sign-ins.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::people::UserStatus;
use crate::server::ctx::{ClientInfo, Principal};
use crate::server::entities::{auth_throttle, organisation, password_credential, user};
use crate::server::password::verify_password;
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Why a sign-in did not succeed. Messages never reveal whether an account exists.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    #[error("This account is suspended. Ask an administrator to reactivate it.")]
    NotActive,
    #[error("Too many failed sign-in attempts. Try again in {0} minutes.")]
    Throttled(i64),
    #[error(transparent)]
    Database(#[from] DbErr),
}

fn account_key(org_id: i64, email: &str) -> String {
    format!(
        "acct:{org_id}:{}",
        email
            .trim()
            .to_lowercase()
            .chars()
            .take(254)
            .collect::<String>()
    )
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

/// Minutes left on a lock, if `key` is locked at `now`.
async fn locked_minutes<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let row = auth_throttle::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?;
    Ok(row
        .and_then(|r| r.locked_until)
        .filter(|until| *until > now)
        .map(|until| {
            let seconds = (until - now).num_seconds();
            (seconds + 59) / 60
        }))
}

/// Counts one failure for `key`; locks it when `limit` failures fall within the window.
async fn count_failure<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    limit: i32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let existing = auth_throttle::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?;
    let (failures, started) = match existing {
        Some(row) if now - row.window_started_at < window => {
            (row.failures + 1, row.window_started_at)
        }
        _ => (1, now),
    };
    let locked_until = (failures >= limit).then_some(now + window);
    let model = auth_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(failures),
        window_started_at: Set(started),
        locked_until: Set(locked_until),
    };
    auth_throttle::Entity::insert(model)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(auth_throttle::Column::Key)
                .update_columns([
                    auth_throttle::Column::Failures,
                    auth_throttle::Column::WindowStartedAt,
                    auth_throttle::Column::LockedUntil,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Checks a password sign-in. On success returns the principal; the caller rotates the session.
/// Every outcome inside a known organisation is audited.
pub async fn sign_in(
    state: &AppState,
    org_slug: &str,
    email: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Principal, SignInError> {
    let now = state.now();
    let window = Duration::minutes(state.auth.throttle_window_minutes);
    let address = client.address.clone().unwrap_or_else(|| "unknown".into());
    let email = email.trim().to_lowercase();

    let org = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(org_slug.trim()))
        .one(&state.db)
        .await?;
    let Some(org) = org else {
        // Same work as a real attempt, so an unknown organisation is not faster.
        verify_password(password, &state.dummy_password_hash);
        // No organisation, so no audit chain to write to: only the address is counted.
        count_failure(
            &state.db,
            &address_key(&address),
            state.auth.address_failure_limit,
            window,
            now,
        )
        .await?;
        return Err(SignInError::InvalidCredentials);
    };

    let account = account_key(org.id, &email);
    let throttled = match locked_minutes(&state.db, &address_key(&address), now).await? {
        Some(minutes) => Some(minutes),
        None => locked_minutes(&state.db, &account, now).await?,
    };

    let found = user::Entity::find()
        .filter(user::Column::OrgId.eq(org.id))
        .filter(user::Column::Email.eq(email.clone()))
        .one(&state.db)
        .await?;
    let credential = match &found {
        Some(u) => {
            password_credential::Entity::find_by_id(u.id)
                .one(&state.db)
                .await?
        }
        None => None,
    };

    let failure = |reason: &str| serde_json::json!({ "reason": reason });
    let outcome: Result<user::Model, (SignInError, serde_json::Value)> = if let Some(minutes) =
        throttled
    {
        Err((SignInError::Throttled(minutes), failure("throttled")))
    } else {
        let hash = credential
            .as_ref()
            .map(|c| c.password_hash.as_str())
            .unwrap_or(&state.dummy_password_hash);
        let password_ok = verify_password(password, hash) && credential.is_some();
        match (found, password_ok) {
            (Some(u), true) if u.status == UserStatus::Active.code() => Ok(u),
            (Some(_), true) => Err((SignInError::NotActive, failure("account not active"))),
            (Some(_), false) => Err((SignInError::InvalidCredentials, failure("wrong password"))),
            (None, _) => Err((SignInError::InvalidCredentials, failure("unknown account"))),
        }
    };

    let mut txn = AuditedTxn::begin(&state.db, org.id).await?;
    match outcome {
        Ok(u) => {
            auth_throttle::Entity::delete_by_id(account)
                .exec(txn.conn())
                .await?;
            txn.record(
                now,
                NewEvent {
                    actor: Actor::user(u.id, u.email.clone()),
                    action: AuditAction::SignIn,
                    target: Target::user(u.id, u.email.clone()),
                    outcome: Outcome::Success,
                    client: client.clone(),
                    before: None,
                    after: Some(serde_json::json!({ "method": "password" })),
                },
            )
            .await?;
            txn.commit().await?;
            Ok(Principal {
                user_id: u.id,
                org_id: org.id,
                org_slug: org.slug,
                org_name: org.name,
                email: u.email,
                display_name: u.display_name,
                is_admin: u.is_admin,
            })
        }
        Err((error, detail)) => {
            if !matches!(error, SignInError::Throttled(_)) {
                count_failure(
                    txn.conn(),
                    &account,
                    state.auth.account_failure_limit,
                    window,
                    now,
                )
                .await?;
                count_failure(
                    txn.conn(),
                    &address_key(&address),
                    state.auth.address_failure_limit,
                    window,
                    now,
                )
                .await?;
            }
            txn.record(
                now,
                NewEvent {
                    actor: Actor::system("anonymous"),
                    action: AuditAction::SignIn,
                    target: Target::labelled("account", email),
                    outcome: Outcome::Failure,
                    client: client.clone(),
                    before: None,
                    after: Some(detail),
                },
            )
            .await?;
            txn.commit().await?;
            Err(error)
        }
    }
}

/// Records a sign-out. The caller deletes the session.
pub async fn sign_out(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
) -> Result<(), DbErr> {
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id).await?;
    txn.record(
        state.now(),
        NewEvent {
            actor: Actor::principal(principal),
            action: AuditAction::SignOut,
            target: Target::user(principal.user_id, principal.email.clone()),
            outcome: Outcome::Success,
            client: client.clone(),
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await
}

/// Loads the principal a session names, if the account is still active and in that organisation.
pub async fn load_principal(
    state: &AppState,
    org_id: i64,
    user_id: i64,
) -> Result<Option<Principal>, DbErr> {
    let Some(u) = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    if u.status != UserStatus::Active.code() {
        return Ok(None);
    }
    let Some(org) = organisation::Entity::find_by_id(org_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Principal {
        user_id: u.id,
        org_id,
        org_slug: org.slug,
        org_name: org.name,
        email: u.email,
        display_name: u.display_name,
        is_admin: u.is_admin,
    }))
}
