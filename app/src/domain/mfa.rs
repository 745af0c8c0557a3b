//! What the security pages show about second factors. Never a secret, except the new secret
//! shown to its owner while they set up their app.

use serde::{Deserialize, Serialize};

/// An authenticator-app setup waiting for its first correct code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetup {
    /// The secret in base32, for typing into an app.
    pub secret: String,
    /// The QR code of the `otpauth://` URI, as an SVG document.
    pub qr_svg: String,
}

/// Who is half-way through signing in, and which factors they can use for the second step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub email: String,
    pub has_passkey: bool,
}

/// A registered passkey, as its owner and administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// What a person may call a passkey: 1 to 60 characters, no control characters.
pub fn parse_passkey_name(text: &str) -> Result<String, super::FieldErrors> {
    let name = text.trim();
    let count = name.chars().count();
    if count == 0 || count > 60 || name.chars().any(char::is_control) {
        return Err([(
            "name".to_owned(),
            "Name the passkey in 1 to 60 characters, such as \"Work laptop\".".to_owned(),
        )]
        .into());
    }
    Ok(name.to_owned())
}

/// A person's second factors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatus {
    pub totp_enrolled_at: Option<String>,
    pub totp_last_used_at: Option<String>,
    pub recovery_codes_left: u64,
    /// Only on one's own security page, while setting up.
    pub setup: Option<TotpSetup>,
    /// When second-step attempts are locked until, if they are.
    pub locked_until: Option<String>,
    pub passkeys: Vec<PasskeyView>,
    /// Why passkeys cannot be added here, if they cannot (no domain name).
    pub passkeys_unavailable: Option<String>,
}

impl MfaStatus {
    /// Whether any second factor is on.
    pub fn has_factor(&self) -> bool {
        self.totp_enrolled_at.is_some() || !self.passkeys.is_empty()
    }
}

/// The organisation's second-factor rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSettings {
    /// Everyone must use a second factor (roles can require it for their holders too).
    pub required_for_all: bool,
    /// Days people have, from being added, before a required second factor is enforced.
    pub grace_days: i32,
    /// Whether the viewer may change them.
    pub editable: bool,
    /// People with an authenticator app, and everyone, in the organisation.
    pub enrolled: u64,
    pub people: u64,
}

/// The settings form, as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSettingsForm {
    /// "on" when checked.
    #[serde(default)]
    pub required_for_all: String,
    #[serde(default)]
    pub grace_days: String,
}

impl MfaSettingsForm {
    /// The grace period, 0 to 90 days.
    pub fn parse(&self) -> Result<(bool, i32), super::FieldErrors> {
        match self.grace_days.trim().parse::<i32>() {
            Ok(days) if (0..=90).contains(&days) => Ok((!self.required_for_all.is_empty(), days)),
            _ => Err([(
                "grace_days".to_owned(),
                "Enter a whole number of days from 0 to 90.".to_owned(),
            )]
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passkey_names_are_trimmed_and_bounded() {
        assert_eq!(parse_passkey_name("  Work laptop ").unwrap(), "Work laptop");
        assert_eq!(
            parse_passkey_name(&"é".repeat(60)).unwrap().chars().count(),
            60
        );
        assert!(parse_passkey_name("").is_err());
        assert!(parse_passkey_name("   ").is_err());
        assert!(parse_passkey_name(&"a".repeat(61)).is_err());
        assert!(parse_passkey_name("Lap\ntop").is_err());
    }
}
