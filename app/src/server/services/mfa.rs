//! Second factors: setting up an authenticator app, recovery codes, the second step of
//! sign-in, and resets. Secrets are sealed with the configured key; codes are accepted once
//! (the step of every accepted TOTP code is kept, recovery codes are spent); ten wrong codes
//! in a row lock further attempts for 1, 2, 4… minutes. Every change and every attempt is
//! audited.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::mfa::{MfaStatus, TotpSetup};
use crate::domain::AppError;
use crate::server::authz::{Grant, UserManage, UserView};
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{
    mfa_recovery_code, mfa_throttle, mfa_totp, password_credential, user,
};
use crate::server::mfa::{new_recovery_codes, qr_svg, recovery_code_hash, totp};
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::state::AppState;
use crate::server::Principal;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter,
};

/// Consecutive wrong codes before attempts are locked.
pub const FAILURES_BEFORE_LOCK: i32 = 10;

pub(crate) fn at(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

async fn totp_row<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    user_id: i64,
) -> Result<Option<mfa_totp::Model>, DbErr> {
    mfa_totp::Entity::find_by_id(user_id)
        .filter(mfa_totp::Column::OrgId.eq(org_id))
        .one(conn)
        .await
}

/// Whether the person has a confirmed second factor (and so needs the second step).
pub async fn has_second_factor(state: &AppState, org_id: i64, user_id: i64) -> Result<bool, DbErr> {
    if totp_row(&state.db, org_id, user_id)
        .await?
        .is_some_and(|t| t.confirmed_at.is_some())
    {
        return Ok(true);
    }
    Ok(super::passkey::count(&state.db, org_id, user_id).await? > 0)
}

/// How many people of the organisation have a second factor (an app or a passkey).
pub async fn enrolled_count(state: &AppState, org_id: i64) -> Result<u64, DbErr> {
    use sea_orm::Statement;
    let row = state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            state.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM ({ENROLLED_PEOPLE}) e"),
            [org_id.into()],
        ))
        .await?;
    Ok(row.map_or(Ok(0), |r| r.try_get::<i64>("", "n"))?.max(0) as u64)
}

/// SQL for the ids of the people of organisation `$1` with a second factor.
pub const ENROLLED_PEOPLE: &str =
    "SELECT user_id FROM mfa_totp WHERE org_id = $1 AND confirmed_at IS NOT NULL \
     UNION SELECT user_id FROM mfa_passkeys WHERE org_id = $1";

async fn status_of(
    state: &AppState,
    org_id: i64,
    user_id: i64,
    with_setup: bool,
    account: &str,
) -> Result<MfaStatus, AppError> {
    let row = totp_row(&state.db, org_id, user_id)
        .await
        .map_err(internal)?;
    let left = mfa_recovery_code::Entity::find()
        .filter(mfa_recovery_code::Column::OrgId.eq(org_id))
        .filter(mfa_recovery_code::Column::UserId.eq(user_id))
        .filter(mfa_recovery_code::Column::UsedAt.is_null())
        .count(&state.db)
        .await
        .map_err(internal)?;
    let throttle = mfa_throttle::Entity::find_by_id(user_id)
        .one(&state.db)
        .await
        .map_err(internal)?;
    let setup = match &row {
        Some(r) if r.confirmed_at.is_none() && with_setup => {
            let secret = state.secrets.open(&r.secret_enc).map_err(internal)?;
            let issuer = "Castellan";
            let uri = totp::otpauth_uri(&secret, issuer, account);
            Some(TotpSetup {
                secret: totp::base32(&secret),
                qr_svg: qr_svg(&uri),
            })
        }
        _ => None,
    };
    let passkeys = super::passkey::list(&state.db, org_id, user_id)
        .await
        .map_err(internal)?;
    Ok(MfaStatus {
        passkeys,
        passkeys_unavailable: state.passkeys.as_ref().err().cloned(),
        totp_enrolled_at: row.as_ref().and_then(|r| r.confirmed_at).map(at),
        totp_last_used_at: row.as_ref().and_then(|r| r.last_used_at).map(at),
        recovery_codes_left: left,
        setup,
        locked_until: throttle
            .and_then(|t| t.locked_until)
            .filter(|until| *until > state.now())
            .map(at),
    })
}

/// The caller's own factors, with the setup in progress (their own secret) if any.
pub async fn own_status(state: &AppState, principal: &Principal) -> Result<MfaStatus, AppError> {
    status_of(
        state,
        principal.org_id,
        principal.user_id,
        true,
        &principal.email,
    )
    .await
}

/// Someone's factors as an administrator sees them: never a secret.
pub async fn status_for(
    state: &AppState,
    grant: &Grant<UserView>,
    user_id: i64,
) -> Result<MfaStatus, AppError> {
    let exists = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(grant.org_id()))
        .one(&state.db)
        .await
        .map_err(internal)?;
    let Some(person) = exists else {
        return Err(AppError::NotFound);
    };
    if !grant.permits(&crate::server::services::people::attributes(&person)) {
        return Err(AppError::NotFound);
    }
    status_of(state, grant.org_id(), user_id, false, &person.email).await
}

fn event(
    actor: Actor,
    action: AuditAction,
    user_id: i64,
    label: &str,
    outcome: Outcome,
    client: &ClientInfo,
    after: Option<serde_json::Value>,
) -> NewEvent {
    NewEvent {
        actor,
        action,
        target: Target::user(user_id, label),
        outcome,
        client: client.clone(),
        before: None,
        after,
    }
}

/// Starts setting up an authenticator app: a new random secret, sealed, waiting for its first
/// correct code.
pub async fn begin_totp(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id)
        .await
        .map_err(internal)?;
    if let Some(existing) = totp_row(txn.conn(), principal.org_id, principal.user_id)
        .await
        .map_err(internal)?
    {
        if existing.confirmed_at.is_some() {
            return Err(AppError::Conflict(
                "An authenticator app is already set up. Remove it first to use another.".into(),
            ));
        }
        mfa_totp::Entity::delete_by_id(principal.user_id)
            .exec(txn.conn())
            .await
            .map_err(internal)?;
    }
    let mut secret = [0u8; totp::SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    mfa_totp::ActiveModel {
        user_id: Set(principal.user_id),
        org_id: Set(principal.org_id),
        secret_enc: Set(state.secrets.seal(&secret)),
        confirmed_at: Set(None),
        last_used_step: Set(None),
        last_used_at: Set(None),
        created_at: Set(now),
    }
    .insert(txn.conn())
    .await
    .map_err(internal)?;
    txn.record_change(
        now,
        principal,
        AuditAction::MfaEnrolmentStarted,
        Target::user(principal.user_id, &principal.email),
        client,
        None,
        None,
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

pub(crate) async fn replace_recovery_codes<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    mfa_recovery_code::Entity::delete_many()
        .filter(mfa_recovery_code::Column::OrgId.eq(org_id))
        .filter(mfa_recovery_code::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    let codes = new_recovery_codes();
    mfa_recovery_code::Entity::insert_many(codes.iter().map(|c| mfa_recovery_code::ActiveModel {
        org_id: Set(org_id),
        user_id: Set(user_id),
        code_hash: Set(recovery_code_hash(c)),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(codes)
}

/// Turns the app on with its first correct code. Returns ten new recovery codes to show once.
pub async fn confirm_totp(
    state: &AppState,
    principal: &Principal,
    code: &str,
    client: &ClientInfo,
) -> Result<Vec<String>, AppError> {
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id)
        .await
        .map_err(internal)?;
    let row = totp_row(txn.conn(), principal.org_id, principal.user_id)
        .await
        .map_err(internal)?
        .filter(|r| r.confirmed_at.is_none())
        .ok_or_else(|| {
            AppError::Conflict("Start the setup again: there is no app waiting for a code.".into())
        })?;
    let secret = state.secrets.open(&row.secret_enc).map_err(internal)?;
    let Some(step) = totp::matching_step(&secret, code, now.timestamp().max(0) as u64) else {
        return Err(AppError::field(
            "code",
            "That code is not right. Check the app shows Castellan and type the 6 digits it shows now.",
        ));
    };
    let mut model: mfa_totp::ActiveModel = row.into();
    model.confirmed_at = Set(Some(now));
    model.last_used_step = Set(Some(step as i64));
    model.last_used_at = Set(Some(now));
    model.update(txn.conn()).await.map_err(internal)?;
    let codes = replace_recovery_codes(txn.conn(), principal.org_id, principal.user_id, now)
        .await
        .map_err(internal)?;
    txn.record_change(
        now,
        principal,
        AuditAction::MfaEnrolled,
        Target::user(principal.user_id, &principal.email),
        client,
        None,
        Some(serde_json::json!({ "factor": "totp", "recovery_codes": codes.len() })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(codes)
}

/// New recovery codes; the old ones stop working.
pub async fn regenerate_recovery_codes(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
) -> Result<Vec<String>, AppError> {
    let now = state.now();
    if !has_second_factor(state, principal.org_id, principal.user_id)
        .await
        .map_err(internal)?
    {
        return Err(AppError::Conflict(
            "Set up an authenticator app or a passkey first.".into(),
        ));
    }
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id)
        .await
        .map_err(internal)?;
    let codes = replace_recovery_codes(txn.conn(), principal.org_id, principal.user_id, now)
        .await
        .map_err(internal)?;
    txn.record_change(
        now,
        principal,
        AuditAction::MfaRecoveryRegenerated,
        Target::user(principal.user_id, &principal.email),
        client,
        None,
        None,
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(codes)
}

/// Removes the app, and with `passkeys_too` every passkey. Recovery codes go when no factor
/// is left for them to stand in for.
async fn delete_factors<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    user_id: i64,
    passkeys_too: bool,
) -> Result<u64, DbErr> {
    let mut removed = mfa_totp::Entity::delete_many()
        .filter(mfa_totp::Column::OrgId.eq(org_id))
        .filter(mfa_totp::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected;
    if passkeys_too {
        removed += super::passkey::delete_all(conn, org_id, user_id).await?;
    } else if super::passkey::count(conn, org_id, user_id).await? > 0 {
        return Ok(removed);
    }
    delete_recovery_codes(conn, org_id, user_id).await?;
    Ok(removed)
}

/// Removes a person's recovery codes and second-step throttle.
pub(crate) async fn delete_recovery_codes<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    user_id: i64,
) -> Result<(), DbErr> {
    mfa_recovery_code::Entity::delete_many()
        .filter(mfa_recovery_code::Column::OrgId.eq(org_id))
        .filter(mfa_recovery_code::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    mfa_throttle::Entity::delete_by_id(user_id)
        .exec(conn)
        .await?;
    Ok(())
}

/// Re-authentication before removing a factor: the password again. A wrong one is audited as
/// a refused removal of `factor`.
pub(crate) async fn confirm_password(
    state: &AppState,
    principal: &Principal,
    password: &str,
    factor: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let credential = password_credential::Entity::find_by_id(principal.user_id)
        .filter(password_credential::Column::OrgId.eq(principal.org_id))
        .one(&state.db)
        .await
        .map_err(internal)?;
    let hash = credential
        .map(|c| c.password_hash)
        .unwrap_or_else(|| state.dummy_password_hash.to_string());
    if state.verify_password(password, &hash).await {
        return Ok(());
    }
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id)
        .await
        .map_err(internal)?;
    txn.record(
        state.now(),
        event(
            Actor::principal(principal),
            AuditAction::MfaRemoved,
            principal.user_id,
            &principal.email,
            Outcome::Failure,
            client,
            Some(serde_json::json!({ "factor": factor, "reason": "wrong password" })),
        ),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Err(AppError::field("password", "That is not your password."))
}

/// Removes one's own app (and the recovery codes, unless a passkey remains). Needs the
/// password again (re-authentication).
pub async fn remove_own(
    state: &AppState,
    principal: &Principal,
    password: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    confirm_password(state, principal, password, "totp", client).await?;
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id)
        .await
        .map_err(internal)?;
    let removed = delete_factors(txn.conn(), principal.org_id, principal.user_id, false)
        .await
        .map_err(internal)?;
    if removed == 0 {
        return Err(AppError::Conflict(
            "There is no authenticator app to remove.".into(),
        ));
    }
    txn.record_change(
        now,
        principal,
        AuditAction::MfaRemoved,
        Target::user(principal.user_id, &principal.email),
        client,
        None,
        Some(serde_json::json!({ "factor": "totp" })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}

/// Resets someone's second factors (they set them up again at their next sign-in). Needs
/// `user.manage` over the person.
pub async fn reset(
    state: &AppState,
    grant: &Grant<UserManage>,
    user_id: i64,
    client: &ClientInfo,
) -> Result<String, AppError> {
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, grant.org_id())
        .await
        .map_err(internal)?;
    let person = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(grant.org_id()))
        .one(txn.conn())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    if !grant.permits(&crate::server::services::people::attributes(&person)) {
        return Err(AppError::NotFound);
    }
    let removed = delete_factors(txn.conn(), grant.org_id(), user_id, true)
        .await
        .map_err(internal)?;
    if removed == 0 {
        return Err(AppError::Conflict(
            "They have no second factor to reset.".into(),
        ));
    }
    // A session that passed the old factor must not outlive it.
    let ended = crate::server::entities::session::Entity::delete_many()
        .filter(crate::server::entities::session::Column::UserId.eq(user_id))
        .filter(crate::server::entities::session::Column::OrgId.eq(grant.org_id()))
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::MfaReset,
        Target::user(user_id, &person.email),
        client,
        None,
        Some(serde_json::json!({ "sessions_ended": ended.rows_affected })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(person.display_name)
}

/// The second step of sign-in: a current TOTP code (never one already used) or an unused
/// recovery code. Returns the factor used ("totp" or "recovery_code").
pub async fn verify(
    state: &AppState,
    org_id: i64,
    user_id: i64,
    code: &str,
    client: &ClientInfo,
) -> Result<&'static str, AppError> {
    let now = state.now();
    let person = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrgId.eq(org_id))
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::Unauthenticated)?;
    let actor = Actor::user(person.id, person.email.clone());
    let mut txn = AuditedTxn::begin(&state.db, org_id)
        .await
        .map_err(internal)?;
    let throttle = mfa_throttle::Entity::find_by_id(user_id)
        .one(txn.conn())
        .await
        .map_err(internal)?;
    if let Some(until) = throttle
        .as_ref()
        .and_then(|t| t.locked_until)
        .filter(|u| *u > now)
    {
        let minutes = ((until - now).num_seconds() + 59) / 60;
        // Attempts while locked are refused unread, and still recorded.
        txn.record(
            now,
            event(
                actor,
                AuditAction::MfaFailed,
                user_id,
                &person.email,
                Outcome::Failure,
                client,
                Some(serde_json::json!({ "reason": "locked" })),
            ),
        )
        .await
        .map_err(internal)?;
        txn.commit().await.map_err(internal)?;
        return Err(AppError::RateLimited(format!(
            "Too many wrong codes. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        )));
    }
    let code = code.trim();
    let mut factor = None;
    let mut replay = false;
    if let Some(row) = totp_row(txn.conn(), org_id, user_id)
        .await
        .map_err(internal)?
        .filter(|r| r.confirmed_at.is_some())
    {
        let secret = state.secrets.open(&row.secret_enc).map_err(internal)?;
        if let Some(step) = totp::matching_step(&secret, code, now.timestamp().max(0) as u64) {
            // Spend the step atomically: a code, or an older one, is never accepted twice.
            let spent = mfa_totp::Entity::update_many()
                .col_expr(mfa_totp::Column::LastUsedStep, Expr::value(step as i64))
                .col_expr(mfa_totp::Column::LastUsedAt, Expr::value(now))
                .filter(mfa_totp::Column::UserId.eq(user_id))
                .filter(
                    sea_orm::Condition::any()
                        .add(mfa_totp::Column::LastUsedStep.is_null())
                        .add(mfa_totp::Column::LastUsedStep.lt(step as i64)),
                )
                .exec(txn.conn())
                .await
                .map_err(internal)?;
            if spent.rows_affected == 1 {
                factor = Some("totp");
            } else {
                replay = true;
            }
        }
    }
    if factor.is_none()
        && !replay
        && code.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 10
    {
        let spent = mfa_recovery_code::Entity::update_many()
            .col_expr(mfa_recovery_code::Column::UsedAt, Expr::value(now))
            .filter(mfa_recovery_code::Column::UserId.eq(user_id))
            .filter(mfa_recovery_code::Column::OrgId.eq(org_id))
            .filter(mfa_recovery_code::Column::CodeHash.eq(recovery_code_hash(code)))
            .filter(mfa_recovery_code::Column::UsedAt.is_null())
            .exec(txn.conn())
            .await
            .map_err(internal)?;
        if spent.rows_affected >= 1 {
            factor = Some("recovery_code");
        }
    }
    let (failures, locks) = throttle.as_ref().map_or((0, 0), |t| (t.failures, t.locks));
    match factor {
        Some(factor) => {
            mfa_throttle::Entity::delete_by_id(user_id)
                .exec(txn.conn())
                .await
                .map_err(internal)?;
            let action = if factor == "totp" {
                AuditAction::MfaVerified
            } else {
                AuditAction::MfaRecoveryUsed
            };
            txn.record(
                now,
                event(
                    actor,
                    action,
                    user_id,
                    &person.email,
                    Outcome::Success,
                    client,
                    Some(serde_json::json!({ "factor": factor })),
                ),
            )
            .await
            .map_err(internal)?;
            txn.commit().await.map_err(internal)?;
            Ok(factor)
        }
        None => {
            let failures = failures + 1;
            let lock = failures >= FAILURES_BEFORE_LOCK;
            let (failures, locks, locked_until) = if lock {
                // 1, 2, 4 … minutes, at most a day.
                let minutes = (1i64 << locks.min(11)).min(24 * 60);
                (0, locks + 1, Some(now + chrono::Duration::minutes(minutes)))
            } else {
                (failures, locks, None)
            };
            let model = mfa_throttle::ActiveModel {
                user_id: Set(user_id),
                org_id: Set(org_id),
                failures: Set(failures),
                locks: Set(locks),
                locked_until: Set(locked_until),
            };
            if throttle.is_some() {
                model.update(txn.conn()).await.map_err(internal)?;
            } else {
                model.insert(txn.conn()).await.map_err(internal)?;
            }
            let reason = if replay {
                "code already used"
            } else {
                "wrong code"
            };
            txn.record(
                now,
                event(
                    actor.clone(),
                    AuditAction::MfaFailed,
                    user_id,
                    &person.email,
                    Outcome::Failure,
                    client,
                    Some(serde_json::json!({ "reason": reason })),
                ),
            )
            .await
            .map_err(internal)?;
            if let Some(until) = locked_until {
                txn.record(
                    now,
                    event(
                        Actor::system("mfa throttle"),
                        AuditAction::MfaLocked,
                        user_id,
                        &person.email,
                        Outcome::Success,
                        client,
                        Some(serde_json::json!({ "until": at(until), "lock": locks })),
                    ),
                )
                .await
                .map_err(internal)?;
            }
            txn.commit().await.map_err(internal)?;
            if replay {
                Err(AppError::field(
                    "code",
                    "That code was already used. Wait for the next one in your app.",
                ))
            } else if lock {
                Err(AppError::RateLimited(
                    "Too many wrong codes. Second-step attempts are locked for a while.".into(),
                ))
            } else {
                Err(AppError::field("code", "That code is not right. Type the 6 digits your app shows now, or a recovery code."))
            }
        }
    }
}

/// The organisation's second-factor rules and how many people have a factor.
pub async fn settings(
    state: &AppState,
    grant: &Grant<crate::server::authz::SettingsView>,
) -> Result<crate::domain::mfa::MfaSettings, AppError> {
    use crate::server::entities::organisation;
    let org = organisation::Entity::find_by_id(grant.org_id())
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let enrolled = enrolled_count(state, grant.org_id())
        .await
        .map_err(internal)?;
    let people = user::Entity::find()
        .filter(user::Column::OrgId.eq(grant.org_id()))
        .filter(user::Column::Status.eq("active"))
        .count(&state.db)
        .await
        .map_err(internal)?;
    Ok(crate::domain::mfa::MfaSettings {
        required_for_all: org.mfa_required_for_all,
        grace_days: org.mfa_grace_days,
        editable: grant
            .access()
            .holds(crate::domain::permission::Permission::SettingsManage),
        enrolled,
        people,
    })
}

/// Changes the organisation's second-factor rules. Needs `settings.manage`.
pub async fn update_settings(
    state: &AppState,
    grant: &Grant<crate::server::authz::SettingsManage>,
    required_for_all: bool,
    grace_days: i32,
    client: &ClientInfo,
) -> Result<(), AppError> {
    use crate::server::entities::organisation;
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, grant.org_id())
        .await
        .map_err(internal)?;
    let org = organisation::Entity::find_by_id(grant.org_id())
        .one(txn.conn())
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let before = serde_json::json!({ "mfa_required_for_all": org.mfa_required_for_all, "mfa_grace_days": org.mfa_grace_days });
    let mut model: organisation::ActiveModel = org.clone().into();
    model.mfa_required_for_all = Set(required_for_all);
    model.mfa_grace_days = Set(grace_days);
    model.update(txn.conn()).await.map_err(internal)?;
    txn.record_change(
        now,
        grant.principal(),
        AuditAction::SettingsUpdated,
        Target::named("organisation", org.id, org.name),
        client,
        Some(before),
        Some(serde_json::json!({ "mfa_required_for_all": required_for_all, "mfa_grace_days": grace_days })),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}
