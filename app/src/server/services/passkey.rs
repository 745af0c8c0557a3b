//! Passkeys as a second factor, through webauthn-rs: registering one (two requests, the
//! challenge kept in the session between them), removing one after the password, and the
//! passkey check that completes a sign-in or a step-up. Only public keys and signature counters
//! are stored; every registration, use, failure and removal is audited.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::mfa::{parse_passkey_name, PasskeyView};
use crate::domain::AppError;
use crate::server::ctx::{internal, ClientInfo};
use crate::server::entities::{mfa_passkey, mfa_recovery_code, mfa_throttle, user};
use crate::server::mfa::passkey_user_handle;
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::services::mfa::{at, replace_recovery_codes};
use crate::server::state::AppState;
use crate::server::Principal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Webauthn,
};

/// At most this many passkeys per person.
pub const MAX_PASSKEYS: u64 = 20;

/// A registration between its two requests, kept in the session.
#[derive(Serialize, Deserialize)]
pub struct PendingRegistration {
    pub name: String,
    pub ceremony: PasskeyRegistration,
}

fn relying_party(state: &AppState) -> Result<&Webauthn, AppError> {
    state
        .passkeys
        .as_deref()
        .map_err(|why| AppError::Conflict(why.clone()))
}

fn credential_key(passkey: &Passkey) -> String {
    let id: &[u8] = passkey.cred_id().as_ref();
    data_encoding::BASE64URL_NOPAD.encode(id)
}

async fn rows<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    user_id: i64,
) -> Result<Vec<mfa_passkey::Model>, DbErr> {
    mfa_passkey::Entity::find()
        .filter(mfa_passkey::Column::OrgId.eq(org_id))
        .filter(mfa_passkey::Column::UserId.eq(user_id))
        .order_by_asc(mfa_passkey::Column::CreatedAt)
        .order_by_asc(mfa_passkey::Column::Id)
        .all(conn)
        .await
}

/// How many passkeys a person has.
pub async fn count<C: ConnectionTrait>(conn: &C, org_id: i64, user_id: i64) -> Result<u64, DbErr> {
    mfa_passkey::Entity::find()
        .filter(mfa_passkey::Column::OrgId.eq(org_id))
        .filter(mfa_passkey::Column::UserId.eq(user_id))
        .count(conn)
        .await
}

/// A person's passkeys, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    user_id: i64,
) -> Result<Vec<PasskeyView>, DbErr> {
    Ok(rows(conn, org_id, user_id)
        .await?
        .into_iter()
        .map(|r| PasskeyView {
            id: r.id,
            name: r.name,
            created_at: at(r.created_at),
            last_used_at: r.last_used_at.map(at),
        })
        .collect())
}

/// Removes every passkey of a person (an administrator's reset).
pub async fn delete_all<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
    user_id: i64,
) -> Result<u64, DbErr> {
    Ok(mfa_passkey::Entity::delete_many()
        .filter(mfa_passkey::Column::OrgId.eq(org_id))
        .filter(mfa_passkey::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected)
}

fn stored(rows: &[mfa_passkey::Model]) -> Result<Vec<Passkey>, AppError> {
    rows.iter()
        .map(|r| serde_json::from_str::<Passkey>(&r.passkey_json).map_err(internal))
        .collect()
}

/// Starts registering a passkey called `name`: the browser's creation options (JSON) and the
/// ceremony to keep for [`finish_registration`].
pub async fn begin_registration(
    state: &AppState,
    principal: &Principal,
    name: &str,
) -> Result<(String, PendingRegistration), AppError> {
    let rp = relying_party(state)?;
    let name = parse_passkey_name(name).map_err(AppError::Validation)?;
    let existing = rows(&state.db, principal.org_id, principal.user_id)
        .await
        .map_err(internal)?;
    if existing.iter().any(|r| r.name.eq_ignore_ascii_case(&name)) {
        return Err(AppError::field(
            "name",
            "You already have a passkey with this name. Choose another.",
        ));
    }
    if existing.len() as u64 >= MAX_PASSKEYS {
        return Err(AppError::Conflict(format!(
            "You have {MAX_PASSKEYS} passkeys, the most there can be. Remove one first."
        )));
    }
    // The authenticator refuses to make a second passkey for an account it already holds.
    let exclude = stored(&existing)?
        .iter()
        .map(|p| p.cred_id().clone())
        .collect();
    let (options, ceremony) = rp
        .start_passkey_registration(
            passkey_user_handle(principal.org_id, principal.user_id),
            &principal.email,
            &principal.display_name,
            Some(exclude),
        )
        .map_err(internal)?;
    let options = serde_json::to_string(&options).map_err(internal)?;
    Ok((options, PendingRegistration { name, ceremony }))
}

fn passkey_event(
    actor: Actor,
    action: AuditAction,
    person: (i64, &str),
    outcome: Outcome,
    client: &ClientInfo,
    after: serde_json::Value,
) -> NewEvent {
    NewEvent {
        actor,
        action,
        target: Target::user(person.0, person.1),
        outcome,
        client: client.clone(),
        before: None,
        after: Some(after),
    }
}

/// Verifies the browser's answer and stores the passkey. Returns new recovery codes to show
/// once when the person had none (their first factor).
pub async fn finish_registration(
    state: &AppState,
    principal: &Principal,
    pending: &PendingRegistration,
    credential: &str,
    client: &ClientInfo,
) -> Result<Vec<String>, AppError> {
    let rp = relying_party(state)?;
    let credential: RegisterPublicKeyCredential =
        serde_json::from_str(credential).map_err(|_| {
            AppError::field(
                "passkey",
                "The browser's answer could not be read. Try again.",
            )
        })?;
    let passkey = rp
        .finish_passkey_registration(&credential, &pending.ceremony)
        .map_err(|err| {
            tracing::info!(error = %err, "passkey registration refused");
            AppError::field(
                "passkey",
                "The passkey could not be verified. Try again, or use another authenticator.",
            )
        })?;
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id)
        .await
        .map_err(internal)?;
    mfa_passkey::ActiveModel {
        org_id: Set(principal.org_id),
        user_id: Set(principal.user_id),
        name: Set(pending.name.clone()),
        credential_id: Set(credential_key(&passkey)),
        passkey_json: Set(serde_json::to_string(&passkey).map_err(internal)?),
        created_at: Set(now),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(txn.conn())
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict("This passkey is already registered.".into())
        }
        _ => internal(e),
    })?;
    let unused_codes = mfa_recovery_code::Entity::find()
        .filter(mfa_recovery_code::Column::OrgId.eq(principal.org_id))
        .filter(mfa_recovery_code::Column::UserId.eq(principal.user_id))
        .filter(mfa_recovery_code::Column::UsedAt.is_null())
        .count(txn.conn())
        .await
        .map_err(internal)?;
    let codes = if unused_codes == 0 {
        replace_recovery_codes(txn.conn(), principal.org_id, principal.user_id, now)
            .await
            .map_err(internal)?
    } else {
        Vec::new()
    };
    txn.record(
        now,
        passkey_event(
            Actor::principal(principal),
            AuditAction::MfaEnrolled,
            (principal.user_id, &principal.email),
            Outcome::Success,
            client,
            serde_json::json!({ "factor": "passkey", "name": pending.name, "recovery_codes": codes.len() }),
        ),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(codes)
}

/// Removes one of one's own passkeys after the password. Recovery codes go with the last
/// factor. Returns the passkey's name.
pub async fn remove(
    state: &AppState,
    principal: &Principal,
    passkey_id: i64,
    password: &str,
    client: &ClientInfo,
) -> Result<String, AppError> {
    crate::server::services::mfa::confirm_password(state, principal, password, "passkey", client)
        .await?;
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id)
        .await
        .map_err(internal)?;
    let row = mfa_passkey::Entity::find_by_id(passkey_id)
        .filter(mfa_passkey::Column::OrgId.eq(principal.org_id))
        .filter(mfa_passkey::Column::UserId.eq(principal.user_id))
        .one(txn.conn())
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::field("passkey", "Choose one of your passkeys."))?;
    mfa_passkey::Entity::delete_by_id(row.id)
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    let app_on = crate::server::entities::mfa_totp::Entity::find_by_id(principal.user_id)
        .filter(crate::server::entities::mfa_totp::Column::ConfirmedAt.is_not_null())
        .one(txn.conn())
        .await
        .map_err(internal)?
        .is_some();
    if !app_on
        && count(txn.conn(), principal.org_id, principal.user_id)
            .await
            .map_err(internal)?
            == 0
    {
        crate::server::services::mfa::delete_recovery_codes(
            txn.conn(),
            principal.org_id,
            principal.user_id,
        )
        .await
        .map_err(internal)?;
    }
    txn.record(
        now,
        passkey_event(
            Actor::principal(principal),
            AuditAction::MfaRemoved,
            (principal.user_id, &principal.email),
            Outcome::Success,
            client,
            serde_json::json!({ "factor": "passkey", "name": row.name }),
        ),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Ok(row.name)
}

/// Starts a passkey check for a person (second step of sign-in, or step-up): the browser's
/// request options (JSON) and the ceremony to keep for [`finish_check`].
pub async fn begin_check(
    state: &AppState,
    org_id: i64,
    user_id: i64,
) -> Result<(String, PasskeyAuthentication), AppError> {
    let rp = relying_party(state)?;
    let passkeys = stored(&rows(&state.db, org_id, user_id).await.map_err(internal)?)?;
    if passkeys.is_empty() {
        return Err(AppError::Conflict(
            "You have no passkey. Use a code instead.".into(),
        ));
    }
    let (options, ceremony) = rp
        .start_passkey_authentication(&passkeys)
        .map_err(internal)?;
    Ok((serde_json::to_string(&options).map_err(internal)?, ceremony))
}

/// Verifies the browser's signed answer to [`begin_check`]: the passkey's counter and last use
/// are updated. Refused while second-step attempts are locked; failures are audited.
pub async fn finish_check(
    state: &AppState,
    org_id: i64,
    user_id: i64,
    ceremony: &PasskeyAuthentication,
    credential: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    let rp = relying_party(state)?;
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
    let locked = mfa_throttle::Entity::find_by_id(user_id)
        .one(txn.conn())
        .await
        .map_err(internal)?
        .and_then(|t| t.locked_until)
        .filter(|until| *until > now);
    let verified = match (
        locked,
        serde_json::from_str::<PublicKeyCredential>(credential),
    ) {
        (Some(_), _) => Err("locked"),
        (None, Err(_)) => Err("unreadable answer"),
        (None, Ok(answer)) => rp
            .finish_passkey_authentication(&answer, ceremony)
            .map_err(|err| {
                tracing::info!(error = %err, "passkey check refused");
                "not verified"
            }),
    };
    let result = match verified {
        Ok(result) => result,
        Err(reason) => {
            txn.record(
                now,
                passkey_event(
                    actor,
                    AuditAction::MfaFailed,
                    (user_id, &person.email),
                    Outcome::Failure,
                    client,
                    serde_json::json!({ "factor": "passkey", "reason": reason }),
                ),
            )
            .await
            .map_err(internal)?;
            txn.commit().await.map_err(internal)?;
            return Err(if reason == "locked" {
                AppError::RateLimited(
                    "Too many wrong codes. Second-step attempts are locked for a while.".into(),
                )
            } else {
                AppError::field(
                    "passkey",
                    "The passkey could not be verified. Try again, or use a code.",
                )
            });
        }
    };
    let key = data_encoding::BASE64URL_NOPAD.encode(result.cred_id().as_ref());
    let row = mfa_passkey::Entity::find()
        .filter(mfa_passkey::Column::OrgId.eq(org_id))
        .filter(mfa_passkey::Column::UserId.eq(user_id))
        .filter(mfa_passkey::Column::CredentialId.eq(key))
        .one(txn.conn())
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::field("passkey", "That passkey is not registered any more."))?;
    let mut passkey: Passkey = serde_json::from_str(&row.passkey_json).map_err(internal)?;
    passkey.update_credential(&result);
    let name = row.name.clone();
    let mut model: mfa_passkey::ActiveModel = row.into();
    model.passkey_json = Set(serde_json::to_string(&passkey).map_err(internal)?);
    model.last_used_at = Set(Some(now));
    model.update(txn.conn()).await.map_err(internal)?;
    mfa_throttle::Entity::delete_by_id(user_id)
        .exec(txn.conn())
        .await
        .map_err(internal)?;
    txn.record(
        now,
        passkey_event(
            actor,
            AuditAction::MfaVerified,
            (user_id, &person.email),
            Outcome::Success,
            client,
            serde_json::json!({ "factor": "passkey", "name": name }),
        ),
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)
}
