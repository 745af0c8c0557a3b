//! Sign-in, sign-out, session principals and throttling of failed sign-ins.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::people::UserStatus;
use crate::server::ctx::{ClientInfo, Principal};
use crate::server::entities::{auth_throttle, organisation, password_credential, user};
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::state::AppState;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Statement};

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

/// Whole minutes until a window that started at `started` ends (at least 1).
fn minutes_left(started: DateTime<Utc>, window: Duration, now: DateTime<Utc>) -> i64 {
    ((started + window - now).num_seconds().max(1) + 59) / 60
}

/// Minutes left on a lock of `key`: `limit` attempts or more counted in the current window.
async fn locked_minutes<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    limit: i32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let row = auth_throttle::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?;
    Ok(row
        .filter(|r| r.window_started_at > now - window && r.failures >= limit)
        .map(|r| minutes_left(r.window_started_at, window, now)))
}

/// Counts one attempt for `key` in a single statement, so that parallel attempts cannot both
/// read the same count, and returns the count in the current window and when it started.
async fn count_attempt<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<(i32, DateTime<Utc>), DbErr> {
    // The same SQL on SQLite (3.35+) and PostgreSQL.
    const SQL: &str = r#"INSERT INTO auth_throttle ("key", failures, window_started_at, locked_until)
        VALUES ($1, 1, $2, NULL)
        ON CONFLICT ("key") DO UPDATE SET
          failures = CASE WHEN auth_throttle.window_started_at > $3
                          THEN auth_throttle.failures + 1 ELSE 1 END,
          window_started_at = CASE WHEN auth_throttle.window_started_at > $3
                                   THEN auth_throttle.window_started_at ELSE $2 END
        RETURNING failures, window_started_at"#;
    let statement = Statement::from_sql_and_values(
        conn.get_database_backend(),
        SQL,
        [key.into(), now.into(), (now - window).into()],
    );
    let row = conn
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("throttle counter".into()))?;
    Ok((
        row.try_get("", "failures")?,
        row.try_get("", "window_started_at")?,
    ))
}

/// Checks a password sign-in. On success returns the principal; the caller rotates the session.
/// Every outcome inside a known organisation is audited.
///
/// Throttling: the client address is refused while it has `address_failure_limit` failures in
/// the window; each account counts every attempt atomically *before* the password is checked,
/// so parallel guesses cannot slip past `account_failure_limit`. Success clears the account.
pub async fn sign_in(
    state: &AppState,
    org_slug: &str,
    email: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Principal, SignInError> {
    let now = state.now();
    let window = Duration::minutes(state.auth.throttle_window_minutes);
    let address = address_key(client.address.as_deref().unwrap_or("unknown"));
    let email = email.trim().to_lowercase();
    // Text PostgreSQL cannot store (NUL) or that no account can have: same answer as a miss.
    let unusable = |text: &str| text.chars().any(char::is_control) || text.len() > 254;

    if let Some(minutes) = locked_minutes(
        &state.db,
        &address,
        state.auth.address_failure_limit,
        window,
        now,
    )
    .await?
    {
        return Err(SignInError::Throttled(minutes));
    }
    let org = if unusable(org_slug) || unusable(&email) {
        None
    } else {
        organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(org_slug.trim()))
            .one(&state.db)
            .await?
    };
    let Some(org) = org else {
        // Same work as a real attempt, so an unknown organisation is not faster.
        state
            .verify_password(password, &state.dummy_password_hash)
            .await;
        // No organisation, so no audit chain to write to: only the address is counted.
        count_attempt(&state.db, &address, window, now).await?;
        return Err(SignInError::InvalidCredentials);
    };

    let account = account_key(org.id, &email);
    let (attempts, started) = count_attempt(&state.db, &account, window, now).await?;
    let throttled =
        (attempts > state.auth.account_failure_limit).then(|| minutes_left(started, window, now));

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
        let password_ok = state.verify_password(password, hash).await && credential.is_some();
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
            })
        }
        Err((error, detail)) => {
            if !matches!(error, SignInError::Throttled(_)) {
                count_attempt(txn.conn(), &address, window, now).await?;
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
    }))
}
