//! The one decision point. Protected data is reached only through services that demand a
//! [`Grant`], and a `Grant` is only made here, after a decision. A handler that forgets to ask
//! does not compile.
//!
//! The foundation's rule set is deliberately small: administrators hold every console
//! permission, everybody else none. Roles, scoped assignments and attribute conditions replace
//! this rule inside [`decide`] without changing any caller.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::server::ctx::{internal, RequestCtx};
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::{AppState, ClientInfo, Principal};
use std::marker::PhantomData;

/// A permission known at compile time, so that services can ask for a grant of exactly it.
pub trait Perm {
    const PERMISSION: Permission;
}

macro_rules! perms {
    ($($name:ident => $permission:ident),* $(,)?) => {
        $(
            #[doc = concat!("Marker for `", stringify!($permission), "`.")]
            #[derive(Debug)]
            pub struct $name;
            impl Perm for $name {
                const PERMISSION: Permission = Permission::$permission;
            }
        )*
    };
}

perms! {
    UserView => UserView,
    UserCreate => UserCreate,
    UserEdit => UserEdit,
    UserSuspend => UserSuspend,
}

/// The answer to one question, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub reason: String,
}

/// Proof that `principal` was allowed `P`. Only [`authorize`] makes one.
#[derive(Debug)]
pub struct Grant<P: Perm> {
    principal: Principal,
    _permission: PhantomData<P>,
}

impl<P: Perm> Grant<P> {
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// Every query made under this grant is scoped to this organisation.
    pub fn org_id(&self) -> i64 {
        self.principal.org_id
    }
}

/// Decides whether `principal` may use `permission` in its own organisation. Deny by default.
pub fn decide(principal: &Principal, permission: Permission) -> Decision {
    if principal.is_admin {
        Decision {
            allowed: true,
            reason: format!("{} is an administrator", principal.email),
        }
    } else {
        Decision {
            allowed: false,
            reason: format!("no assignment grants {}", permission.code()),
        }
    }
}

/// Whether `principal` holds `P`, for pages that adapt to what someone may do. Reaches no
/// protected data, so nothing is audited; reading or writing still needs [`authorize`].
pub fn holds<P: Perm>(principal: &Principal) -> bool {
    decide(principal, P::PERMISSION).allowed
}

/// Asks the engine for `P` on behalf of the request's principal. A refusal is written to the
/// audit log and becomes `Forbidden`.
pub async fn authorize<P: Perm>(ctx: &RequestCtx) -> Result<Grant<P>, AppError> {
    authorize_principal(&ctx.state, ctx.principal()?, &ctx.client).await
}

/// As [`authorize`], for callers without an HTTP request (command-line tools, jobs).
pub async fn authorize_principal<P: Perm>(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
) -> Result<Grant<P>, AppError> {
    let principal = principal.clone();
    let decision = decide(&principal, P::PERMISSION);
    if decision.allowed {
        return Ok(Grant {
            principal,
            _permission: PhantomData,
        });
    }
    let mut txn = AuditedTxn::begin(&state.db, principal.org_id)
        .await
        .map_err(internal)?;
    txn.record(
        state.now(),
        NewEvent {
            actor: Actor::principal(&principal),
            action: AuditAction::AccessDenied,
            target: Target::labelled("permission", P::PERMISSION.code()),
            outcome: Outcome::Denied,
            client: client.clone(),
            before: None,
            after: Some(serde_json::json!({ "permission": P::PERMISSION.code(), "reason": decision.reason })),
        },
    )
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    Err(AppError::Forbidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(is_admin: bool) -> Principal {
        Principal {
            user_id: 1,
            org_id: 1,
            org_slug: "demo".into(),
            org_name: "Demo".into(),
            email: "a@example.com".into(),
            display_name: "A".into(),
            is_admin,
        }
    }

    #[test]
    fn administrators_hold_every_console_permission() {
        for p in Permission::ALL {
            assert!(decide(&principal(true), p).allowed);
        }
    }

    #[test]
    fn everyone_else_is_denied_by_default() {
        for p in Permission::ALL {
            let d = decide(&principal(false), p);
            assert!(!d.allowed);
            assert!(d.reason.contains(p.code()));
        }
    }
}
