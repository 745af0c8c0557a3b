//! First-run setup form.

use serde::{Deserialize, Serialize};

/// The setup form as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SetupForm {
    pub org_name: String,
    pub org_slug: String,
    pub email: String,
    pub display_name: String,
}
