//! People: statuses, attributes, list queries and the wire shapes of the People pages.

use super::values::{parse_short_text, DisplayName, Email};
use super::FieldErrors;
use serde::{Deserialize, Serialize};

/// Whether a person may sign in. Stored as a stable string code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserStatus {
    Active,
    Suspended,
    Deactivated,
}

impl UserStatus {
    pub const ALL: [UserStatus; 3] = [
        UserStatus::Active,
        UserStatus::Suspended,
        UserStatus::Deactivated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
            UserStatus::Deactivated => "deactivated",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Active => "Active",
            UserStatus::Suspended => "Suspended",
            UserStatus::Deactivated => "Deactivated",
        }
    }
}

/// Employment type, used later by policies ("contractors never see PII").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Employment {
    Employee,
    Contractor,
}

impl Employment {
    pub const ALL: [Employment; 2] = [Employment::Employee, Employment::Contractor];

    pub fn code(self) -> &'static str {
        match self {
            Employment::Employee => "employee",
            Employment::Contractor => "contractor",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Employment::Employee => "Employee",
            Employment::Contractor => "Contractor",
        }
    }
}

/// The regions CX records and people belong to.
pub const REGIONS: [&str; 4] = ["EMEA", "NA", "APAC", "LATAM"];

/// The product lines of the demo CX platform.
pub const PRODUCT_LINES: [&str; 4] = ["Payments", "Lending", "Insights", "Mobile"];

/// A row of the People list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub status: UserStatus,
    pub department: Option<String>,
    pub region: Option<String>,
}

/// Everything the person page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonDetail {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub status: UserStatus,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub region: Option<String>,
    pub product_lines: Vec<String>,
    pub employment: Employment,
    pub manager_id: Option<i64>,
    pub manager_name: Option<String>,
    pub manager_email: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// How the People list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PeopleSort {
    #[default]
    Name,
    Email,
    Newest,
}

impl PeopleSort {
    pub fn code(self) -> &'static str {
        match self {
            PeopleSort::Name => "name",
            PeopleSort::Email => "email",
            PeopleSort::Newest => "newest",
        }
    }

    pub fn parse(code: &str) -> Self {
        match code {
            "email" => PeopleSort::Email,
            "newest" => PeopleSort::Newest,
            _ => PeopleSort::Name,
        }
    }
}

/// A request for one page of the People list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PeopleQuery {
    /// Prefix of the name or the email address.
    pub search: String,
    pub status: Option<UserStatus>,
    pub sort: PeopleSort,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    pub limit: u32,
}

impl PeopleQuery {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 200;

    pub fn effective_limit(&self) -> u64 {
        u64::from(if self.limit == 0 {
            Self::DEFAULT_LIMIT
        } else {
            self.limit.min(Self::MAX_LIMIT)
        })
    }
}

/// One page of the People list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeoplePage {
    pub rows: Vec<PersonSummary>,
    pub next_cursor: Option<String>,
}

/// The raw text of the person form, exactly as typed: kept so a validation error loses nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PersonForm {
    pub email: String,
    pub display_name: String,
    pub department: String,
    pub job_title: String,
    pub region: String,
    pub product_lines: String,
    pub employment: String,
    pub manager_email: String,
}

/// A validated person form.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonInput {
    pub email: Email,
    pub display_name: DisplayName,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub region: Option<String>,
    pub product_lines: Vec<String>,
    pub employment: Employment,
    pub manager_email: Option<Email>,
}

impl PersonForm {
    /// Validates every field, collecting all messages at once.
    pub fn parse(&self) -> Result<PersonInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(&self.email)
            .map_err(|e| errors.insert("email".into(), e))
            .ok();
        let display_name = DisplayName::parse(&self.display_name)
            .map_err(|e| errors.insert("display_name".into(), e))
            .ok();
        let department = parse_short_text(&self.department, "Department")
            .map_err(|e| errors.insert("department".into(), e))
            .ok()
            .flatten();
        let job_title = parse_short_text(&self.job_title, "Job title")
            .map_err(|e| errors.insert("job_title".into(), e))
            .ok()
            .flatten();
        let region = match self.region.trim() {
            "" => None,
            r => match REGIONS.iter().find(|known| known.eq_ignore_ascii_case(r)) {
                Some(known) => Some((*known).to_owned()),
                None => {
                    errors.insert(
                        "region".into(),
                        format!("Choose one of {}.", REGIONS.join(", ")),
                    );
                    None
                }
            },
        };
        let mut product_lines = Vec::new();
        for part in self
            .product_lines
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match PRODUCT_LINES
                .iter()
                .find(|known| known.eq_ignore_ascii_case(part))
            {
                Some(known) if !product_lines.iter().any(|p: &String| p == known) => {
                    product_lines.push((*known).to_owned())
                }
                Some(_) => {}
                None => {
                    errors.insert(
                        "product_lines".into(),
                        format!(
                            "Unknown product line \"{part}\". Known: {}.",
                            PRODUCT_LINES.join(", ")
                        ),
                    );
                }
            }
        }
        let employment = match self.employment.trim() {
            "" => Some(Employment::Employee),
            code => Employment::parse(code).or_else(|| {
                errors.insert("employment".into(), "Choose employee or contractor.".into());
                None
            }),
        };
        let manager_email = match self.manager_email.trim() {
            "" => None,
            text => Email::parse(text)
                .map_err(|e| errors.insert("manager_email".into(), e))
                .ok(),
        };
        match (email, display_name, employment) {
            (Some(email), Some(display_name), Some(employment)) if errors.is_empty() => {
                Ok(PersonInput {
                    email,
                    display_name,
                    department,
                    job_title,
                    region,
                    product_lines,
                    employment,
                    manager_email,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> PersonForm {
        PersonForm {
            email: "Ana@Example.com".into(),
            display_name: "Ana Ruiz".into(),
            region: "emea".into(),
            product_lines: "Payments, mobile".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_form_is_normalised() {
        let input = form().parse().unwrap();
        assert_eq!(input.email.as_str(), "ana@example.com");
        assert_eq!(input.region.as_deref(), Some("EMEA"));
        assert_eq!(input.product_lines, vec!["Payments", "Mobile"]);
        assert_eq!(input.employment, Employment::Employee);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = PersonForm {
            email: "nope".into(),
            display_name: "".into(),
            region: "Mars".into(),
            employment: "pirate".into(),
            ..Default::default()
        };
        let errors = bad.parse().unwrap_err();
        for field in ["email", "display_name", "region", "employment"] {
            assert!(errors.contains_key(field), "missing {field}");
        }
    }

    #[test]
    fn status_codes_round_trip() {
        for status in UserStatus::ALL {
            assert_eq!(UserStatus::parse(status.code()), Some(status));
        }
    }
}
