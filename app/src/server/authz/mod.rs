//! The one decision point. Protected data is reached only through services that demand a
//! [`Grant`], and a `Grant` is only made here, after the engine decided. A handler that forgets
//! to ask does not compile, and list queries take their filter from the grant.
//!
//! [`engine`] is the pure decision logic; [`load`] reads a principal's access graph from the
//! database. Attribute policies (Cedar) and the HTTP decision API plug into [`Access`]: both
//! ask the same snapshot with a [`engine::Resource`] and an [`engine::Context`].

pub mod engine;
pub mod load;

use crate::domain::access::RecordAttributes;
use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::server::ctx::{internal, RequestCtx};
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::{AppState, ClientInfo, Principal};
use chrono::{DateTime, Utc};
pub use engine::{Context, Decision, ListFilter, Resource, Snapshot};
use std::marker::PhantomData;
use std::sync::Arc;

/// A permission known at compile time, so that services can ask for a grant of exactly it.
pub trait Perm {
    const PERMISSION: Permission;
}

macro_rules! perms {
    ($($name:ident),* $(,)?) => {
        $(
            #[doc = concat!("Marker for `Permission::", stringify!($name), "`.")]
            #[derive(Debug)]
            pub struct $name;
            impl Perm for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*
    };
}

perms! {
    TicketView, FeedbackView, CustomerView, CustomerViewPii,
    UserView, UserCreate, UserEdit, UserSuspend, UserManage,
    RoleView, RoleManage, RoleAssign,
    TeamView, TeamManage, GroupView, GroupManage,
    AuditEventView, AuditEventExport, AuditEventManage, SettingsView, SettingsManage,
}

/// A principal's resolved access at one instant: what every decision of a request reads.
#[derive(Debug, Clone)]
pub struct Access {
    pub principal: Principal,
    pub snapshot: Snapshot,
    pub now: DateTime<Utc>,
    /// The second step passed in this session, if it was.
    pub mfa: Option<engine::MfaContext>,
    /// When a second factor the principal must use (organisation setting or a role that
    /// requires it) but has not used in this session becomes enforced. `None` when nothing is
    /// due.
    pub mfa_due: Option<DateTime<Utc>>,
}

impl Access {
    /// Loads the principal's access graph and resolves it. `mfa` is the second step passed in
    /// the caller's session, if any.
    pub async fn load(
        state: &AppState,
        principal: &Principal,
        mfa: Option<engine::MfaContext>,
    ) -> Result<Access, AppError> {
        use crate::server::entities::{organisation, user};
        use sea_orm::EntityTrait;
        let graph = load::load_graph(
            &state.db,
            principal.org_id,
            principal.user_id,
            &principal.display_name,
        )
        .await
        .map_err(internal)?;
        let snapshot = Snapshot::build(&graph);
        let now = state.now();
        let mfa_due = if mfa.is_some() {
            None
        } else {
            let org = organisation::Entity::find_by_id(principal.org_id)
                .one(&state.db)
                .await
                .map_err(internal)?;
            let person = user::Entity::find_by_id(principal.user_id)
                .one(&state.db)
                .await
                .map_err(internal)?;
            match (org, person) {
                (Some(org), Some(person))
                    if org.mfa_required_for_all || snapshot.requires_mfa(now) =>
                {
                    Some(
                        person.created_at
                            + chrono::Duration::days(org.mfa_grace_days.max(0).into()),
                    )
                }
                _ => None,
            }
        };
        Ok(Access {
            principal: principal.clone(),
            snapshot,
            now,
            mfa,
            mfa_due,
        })
    }

    /// Whether a required second factor is overdue: the engine then refuses everything but
    /// setting one up.
    pub fn mfa_overdue(&self) -> bool {
        self.mfa_due.is_some_and(|due| due <= self.now)
    }

    /// Whether the principal holds `permission` anywhere (for pages and navigation).
    pub fn holds(&self, permission: Permission) -> bool {
        self.snapshot.holds(permission, self.now)
    }

    /// A full decision with its explanation.
    pub fn decide(&self, permission: Permission, resource: &Resource) -> Decision {
        let context = Context {
            now: self.now,
            mfa: self.mfa.clone(),
            address: None,
        };
        self.snapshot.decide(permission, resource, &context)
    }
}

/// Proof that the principal was allowed `P` somewhere in its organisation. Only [`authorize`]
/// and [`optional`] make one. It carries the list filter for `P`, and services check single
/// records against it with [`Grant::permits`].
#[derive(Debug)]
pub struct Grant<P: Perm> {
    access: Arc<Access>,
    filter: ListFilter,
    _permission: PhantomData<P>,
}

impl<P: Perm> Grant<P> {
    pub fn principal(&self) -> &Principal {
        &self.access.principal
    }

    /// Every query made under this grant is scoped to this organisation.
    pub fn org_id(&self) -> i64 {
        self.access.principal.org_id
    }

    /// Which records of a list of `P`'s kind the principal may see.
    pub fn filter(&self) -> &ListFilter {
        &self.filter
    }

    /// Whether a record with these attributes is within the grant: the same answer as a full
    /// decision on it.
    pub fn permits(&self, attributes: &RecordAttributes) -> bool {
        self.filter.allows(attributes)
    }

    /// The principal's whole access, for checks that compare it with what is being given away.
    pub fn access(&self) -> &Access {
        &self.access
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.access.now
    }
}

fn grant_from<P: Perm>(access: Arc<Access>) -> Option<Grant<P>> {
    if access.mfa_overdue() {
        return None;
    }
    let filter = access.snapshot.filter(P::PERMISSION, access.now);
    if filter == ListFilter::Nothing {
        return None;
    }
    Some(Grant {
        access,
        filter,
        _permission: PhantomData,
    })
}

/// Asks the engine for `P` on behalf of the request's principal. A refusal is written to the
/// audit log and becomes `Forbidden`.
pub async fn authorize<P: Perm>(ctx: &RequestCtx) -> Result<Grant<P>, AppError> {
    let access = ctx.access().await?;
    match grant_from::<P>(access.clone()) {
        Some(grant) => Ok(grant),
        None => {
            let error = deny(&ctx.state, &access, P::PERMISSION, None, &ctx.client).await;
            if access.mfa_overdue() && error == AppError::Forbidden {
                Err(AppError::MfaRequired)
            } else {
                Err(error)
            }
        }
    }
}

/// `P` if the principal holds it, without auditing a refusal: for optional parts of a page
/// (customers' personal data on the customer list).
pub async fn optional<P: Perm>(ctx: &RequestCtx) -> Result<Option<Grant<P>>, AppError> {
    Ok(grant_from::<P>(ctx.access().await?))
}

/// As [`authorize`], for callers without an HTTP request (command-line tools, jobs, benches).
pub async fn authorize_principal<P: Perm>(
    state: &AppState,
    principal: &Principal,
    client: &ClientInfo,
) -> Result<Grant<P>, AppError> {
    let access = Arc::new(Access::load(state, principal, None).await?);
    match grant_from::<P>(access.clone()) {
        Some(grant) => Ok(grant),
        None => Err(deny(state, &access, P::PERMISSION, None, client).await),
    }
}

/// Refuses one record that lies outside a grant's scope: audited, and `Forbidden`.
pub async fn refuse_record<P: Perm>(
    state: &AppState,
    grant: &Grant<P>,
    resource: &Resource,
    client: &ClientInfo,
) -> AppError {
    deny(state, grant.access(), P::PERMISSION, Some(resource), client).await
}

async fn deny(
    state: &AppState,
    access: &Access,
    permission: Permission,
    resource: Option<&Resource>,
    client: &ClientInfo,
) -> AppError {
    let reason = if access.mfa_overdue() {
        "a second factor is required and not set up".to_owned()
    } else {
        match resource {
            Some(resource) => access
                .decide(permission, resource)
                .reason(permission, &access.principal.display_name),
            None => access
                .snapshot
                .decide(
                    permission,
                    &Resource {
                        org_id: access.principal.org_id,
                        kind: permission.kind(),
                        id: None,
                        attributes: RecordAttributes::default(),
                    },
                    &Context::at(access.now),
                )
                .reason(permission, &access.principal.display_name),
        }
    };
    let target = match resource.and_then(|r| r.id) {
        Some(id) => Target::record(permission.kind().code(), id),
        None => Target::labelled("permission", permission.code()),
    };
    let result = async {
        let mut txn = AuditedTxn::begin(&state.db, access.principal.org_id).await?;
        txn.record(
            state.now(),
            NewEvent {
                actor: Actor::principal(&access.principal),
                action: AuditAction::AccessDenied,
                target,
                outcome: Outcome::Denied,
                client: client.clone(),
                before: None,
                after: Some(
                    serde_json::json!({ "permission": permission.code(), "reason": reason }),
                ),
            },
        )
        .await?;
        txn.commit().await
    }
    .await;
    match result {
        Ok(()) => AppError::Forbidden,
        Err(error) => internal(error),
    }
}
