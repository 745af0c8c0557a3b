//! sea-orm entities. Only `repo/` and `services/` use them; pages see domain types.

pub mod assignment;
pub mod audit_event;
pub mod audit_head;
pub mod auth_throttle;
pub mod customer;
pub mod feedback;
pub mod group_child;
pub mod group_member;
pub mod mfa_passkey;
pub mod mfa_recovery_code;
pub mod mfa_throttle;
pub mod mfa_totp;
pub mod organisation;
pub mod password_credential;
pub mod role;
pub mod role_include;
pub mod role_owner;
pub mod role_permission;
pub mod session;
pub mod setup_token;
pub mod team;
pub mod team_member;
pub mod ticket;
pub mod user;
pub mod user_group;
