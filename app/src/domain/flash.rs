//! One-shot messages carried across a redirect: a notice after success, or a form's typed values
//! and errors after a validation failure, so nothing typed is lost with JavaScript off.

use super::FieldErrors;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Flash {
    /// The page (path without query) it is meant for: pages reached later by in-app navigation
    /// must not show it.
    pub path: Option<String>,
    /// Which form the values and errors belong to.
    pub form: Option<String>,
    pub values: BTreeMap<String, String>,
    pub errors: FieldErrors,
    /// A message for the whole form or page.
    pub error: Option<String>,
    pub notice: Option<String>,
}

impl Flash {
    /// This flash if it is meant for `path`, otherwise an empty one.
    pub fn for_path(self, path: &str) -> Flash {
        let meant = self
            .path
            .as_deref()
            .map(|p| p.split('?').next().unwrap_or_default());
        if meant == Some(path) {
            self
        } else {
            Flash::default()
        }
    }

    /// The value typed into a field of `form`, if this flash is for that form.
    pub fn value(&self, form: &str, field: &str) -> Option<String> {
        (self.form.as_deref() == Some(form))
            .then(|| self.values.get(field).cloned())
            .flatten()
    }

    pub fn field_error(&self, form: &str, field: &str) -> Option<String> {
        (self.form.as_deref() == Some(form))
            .then(|| self.errors.get(field).cloned())
            .flatten()
    }

    pub fn form_error(&self, form: &str) -> Option<String> {
        (self.form.as_deref() == Some(form))
            .then(|| self.error.clone())
            .flatten()
    }
}

/// Who is signed in, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub org_name: String,
    pub org_slug: String,
    /// Codes of the permissions held somewhere in the organisation: what navigation and
    /// buttons show. The server decides again on every request.
    pub permissions: Vec<String>,
    /// When a required second factor must be set up by ("2026-12-02"), if one is due.
    pub mfa_due: Option<String>,
    /// True once that date has passed: everything but setting one up is refused.
    pub mfa_overdue: bool,
}

impl SessionUser {
    /// Whether to show what needs `permission` (a hint for the interface, never a check).
    pub fn may(&self, permission: crate::domain::permission::Permission) -> bool {
        self.permissions.iter().any(|p| p == permission.code())
    }
}

/// What every page needs from the session: the user (if any), the CSRF token for its forms,
/// and any flash left by the previous request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: Option<SessionUser>,
    pub csrf_token: String,
    pub flash: Flash,
    /// The organisation to sign in to when the deployment has exactly one; otherwise empty and
    /// the person types their organisation's short name.
    pub org_choices: Vec<(String, String)>,
    /// True until the first administrator exists.
    pub needs_setup: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flash_shows_only_on_the_page_it_was_meant_for() {
        let flash = Flash {
            path: Some("/people/new?x=1".into()),
            notice: Some("Saved".into()),
            ..Default::default()
        };
        assert_eq!(
            flash.clone().for_path("/people/new").notice.as_deref(),
            Some("Saved")
        );
        assert_eq!(flash.for_path("/people/5"), Flash::default());
    }
}
