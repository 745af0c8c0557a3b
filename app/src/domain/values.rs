//! Value types with parsing constructors: an instance is always valid.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A lower-cased email address of sensible shape and length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    /// Parses and normalises (trims, lower-cases) an email address.
    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err("Enter an email address.".into());
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(format!(
                "An email address has at most {} characters.",
                Self::MAX_LEN
            ));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err("Enter an email address like name@example.com.".into());
        };
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c);
        if local.is_empty()
            || local.len() > 64
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || value.chars().any(bad_char)
            || local.contains('@')
        {
            return Err("Enter an email address like name@example.com.".into());
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name: 1 to 120 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_LEN: usize = 120;

    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim();
        if value.is_empty() {
            return Err("Enter a name.".into());
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(format!("A name has at most {} characters.", Self::MAX_LEN));
        }
        if value.chars().any(char::is_control) {
            return Err("A name cannot contain control characters.".into());
        }
        Ok(DisplayName(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional short attribute text (department, job title): at most 80 characters.
pub fn parse_short_text(input: &str, label: &str) -> Result<Option<String>, String> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > 80 {
        return Err(format!("{label} has at most 80 characters."));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{label} cannot contain control characters."));
    }
    Ok(Some(value.to_owned()))
}

/// An organisation slug: 2 to 40 lower-case letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub fn parse(input: &str) -> Result<Self, String> {
        let value = input.trim().to_lowercase();
        let valid = (2..=40).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if valid {
            Ok(OrgSlug(value))
        } else {
            Err("Use 2 to 40 lower-case letters, digits and dashes.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: long enough to resist guessing (NIST SP 800-63B asks for at least 8; we ask
/// for 12), not absurdly long (argon2 work is bounded).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_LEN: usize = 12;
    pub const MAX_LEN: usize = 256;

    pub fn parse(input: &str) -> Result<Self, String> {
        let len = input.chars().count();
        if len < Self::MIN_LEN {
            return Err(format!("Use at least {} characters.", Self::MIN_LEN));
        }
        if len > Self::MAX_LEN {
            return Err(format!("Use at most {} characters.", Self::MAX_LEN));
        }
        Ok(NewPassword(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ana.Ruiz@Example.COM ").unwrap().as_str(),
            "ana.ruiz@example.com"
        );
    }

    #[test]
    fn email_without_domain_dot_is_refused() {
        assert!(Email::parse("ana@example").is_err());
        assert!(Email::parse("@example.com").is_err());
        assert!(Email::parse("ana@@example.com").is_err());
        assert!(Email::parse("<script>@example.com").is_err());
    }

    #[test]
    fn overlong_email_is_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn names_keep_html_literally() {
        assert_eq!(
            DisplayName::parse("<b>O'Brien</b>").unwrap().as_str(),
            "<b>O'Brien</b>"
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(121)).is_err());
    }

    #[test]
    fn slug_rules() {
        assert!(OrgSlug::parse("northwind-cx").is_ok());
        assert!(OrgSlug::parse("-bad").is_err());
        assert!(OrgSlug::parse("Bad Slug").is_err());
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "[redacted]");
    }

    proptest! {
        #[test]
        fn parsed_email_is_stable(input in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&input) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email.clone());
                prop_assert!(email.as_str().len() <= Email::MAX_LEN);
                prop_assert!(!email.as_str().chars().any(char::is_whitespace));
            }
        }

        #[test]
        fn parsed_name_is_trimmed_and_bounded(input in "\\PC{0,200}") {
            if let Ok(name) = DisplayName::parse(&input) {
                prop_assert_eq!(name.as_str().trim(), name.as_str());
                prop_assert!(name.as_str().chars().count() <= DisplayName::MAX_LEN);
            }
        }
    }
}
