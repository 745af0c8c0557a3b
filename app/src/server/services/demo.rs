//! The demo CX organisation: about 200 people across four regions and five departments, with
//! managers, and the customers, tickets and feedback that later capabilities protect.

use crate::domain::audit::{AuditAction, Outcome};
use crate::domain::people::{PRODUCT_LINES, REGIONS};
use crate::domain::values::{DisplayName, Email, NewPassword, OrgSlug};
use crate::server::ctx::ClientInfo;
use crate::server::entities::{
    customer, feedback, organisation, password_credential, ticket, user,
};
use crate::server::password::{hash_password, random_token};
use crate::server::services::audit::{Actor, AuditedTxn, NewEvent, Target};
use crate::server::services::setup::{create_administrator, NewAdmin};
use crate::server::state::AppState;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

/// The demo organisation's address.
pub const DEMO_SLUG: &str = "northwind";
/// The demo administrator's email.
pub const DEMO_ADMIN_EMAIL: &str = "admin@northwind.example";

const FIRST: [&str; 40] = [
    "Ana",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elif",
    "Farah",
    "Gustavo",
    "Hana",
    "Ibrahim",
    "Jonas",
    "Keiko",
    "Liam",
    "Maya",
    "Nikolai",
    "Olga",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Valentina",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoë",
    "Amara",
    "Bruno",
    "Carmen",
    "Diego",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Isabela",
    "Jin",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
];
const LAST: [&str; 30] = [
    "Ruiz",
    "Okafor",
    "Schmidt",
    "Nakamura",
    "Haddad",
    "Silva",
    "Kowalski",
    "Dubois",
    "Andersson",
    "Patel",
    "Moreau",
    "Rossi",
    "Novak",
    "Fernández",
    "O'Brien",
    "Kim",
    "Tanaka",
    "Mensah",
    "Costa",
    "Jansen",
    "Yilmaz",
    "Ivanova",
    "García",
    "Lindqvist",
    "Chen",
    "Müller",
    "Santos",
    "Nguyen",
    "Horvat",
    "Murphy",
];
const DEPARTMENTS: [(&str, &[&str]); 5] = [
    (
        "Support",
        &[
            "Support Agent",
            "Senior Support Agent",
            "Support Specialist",
        ],
    ),
    (
        "Success",
        &["Customer Success Manager", "Onboarding Specialist"],
    ),
    ("Product", &["Product Manager", "Product Designer"]),
    ("Analytics", &["CX Analyst", "Data Analyst"]),
    ("IT", &["Systems Engineer", "IT Support"]),
];
const SUBJECTS: [&str; 10] = [
    "Card payment declined at checkout",
    "Cannot export monthly statement",
    "Mobile app crashes on login",
    "Question about loan repayment schedule",
    "Refund not received after 10 days",
    "Dashboard shows wrong totals",
    "Two-factor code not arriving",
    "Request to close account",
    "Invoice address needs correcting",
    "API rate limit errors since Monday",
];
const COMMENTS: [&str; 8] = [
    "Quick and friendly help, thank you!",
    "Took three emails to get an answer.",
    "The agent understood the problem immediately.",
    "App keeps logging me out, very frustrating.",
    "Great onboarding session.",
    "Waited 40 minutes on the phone.",
    "Clear explanation of the fees.",
    "Still waiting for a refund.",
];

/// What seeding produced: the administrator's one-time credentials.
#[derive(Debug)]
pub struct DemoCredentials {
    pub org_slug: String,
    pub email: String,
    pub password: String,
    pub created: bool,
}

fn ascii_fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'é' | 'è' => 'e',
            'á' => 'a',
            'í' => 'i',
            'ö' | 'ó' => 'o',
            'ü' => 'u',
            'ë' => 'e',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// Seeds the demo organisation if it does not exist, then gives its administrator a fresh
/// password, random unless one is given (printed once by the caller). Running it again changes nothing else.
pub async fn seed(
    state: &AppState,
    password: Option<NewPassword>,
) -> anyhow_like::Result<DemoCredentials> {
    let password = match password {
        Some(p) => p.expose().to_owned(),
        None => random_token(12),
    };
    let client = ClientInfo {
        address: None,
        user_agent: Some("castellan demo seed".into()),
    };
    let existing = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(DEMO_SLUG))
        .one(&state.db)
        .await?;
    let Some(org) = existing else {
        let admin = NewAdmin {
            org_name: DisplayName::parse("Northwind CX").map_err(anyhow_like::msg)?,
            org_slug: OrgSlug::parse(DEMO_SLUG).map_err(anyhow_like::msg)?,
            email: Email::parse(DEMO_ADMIN_EMAIL).map_err(anyhow_like::msg)?,
            display_name: DisplayName::parse("Morgan Admin").map_err(anyhow_like::msg)?,
            password: NewPassword::parse(&password).map_err(anyhow_like::msg)?,
        };
        let principal = create_administrator(state, &admin, "castellan demo seed", &client)
            .await
            .map_err(|e| anyhow_like::msg(e.to_string()))?;
        seed_workspace(state, principal.org_id, &client).await?;
        return Ok(DemoCredentials {
            org_slug: DEMO_SLUG.into(),
            email: DEMO_ADMIN_EMAIL.into(),
            password,
            created: true,
        });
    };
    let admin = user::Entity::find()
        .filter(user::Column::OrgId.eq(org.id))
        .filter(user::Column::Email.eq(DEMO_ADMIN_EMAIL))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            anyhow_like::msg("the demo organisation exists without its administrator")
        })?;
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org.id).await?;
    let mut credential: password_credential::ActiveModel =
        password_credential::Entity::find_by_id(admin.id)
            .one(txn.conn())
            .await?
            .ok_or_else(|| anyhow_like::msg("the demo administrator has no password"))?
            .into();
    credential.password_hash =
        Set(hash_password(&password).map_err(|e| anyhow_like::msg(e.to_string()))?);
    credential.updated_at = Set(now);
    credential.update(txn.conn()).await?;
    txn.record(
        now,
        NewEvent {
            actor: Actor::system("castellan demo seed"),
            action: AuditAction::DemoPasswordReset,
            target: Target::user(admin.id, admin.email.clone()),
            outcome: Outcome::Success,
            client,
            before: None,
            after: None,
        },
    )
    .await?;
    txn.commit().await?;
    if user::Entity::find()
        .filter(user::Column::OrgId.eq(org.id))
        .count(&state.db)
        .await?
        < 2
    {
        seed_workspace(state, org.id, &ClientInfo::default()).await?;
    }
    Ok(DemoCredentials {
        org_slug: DEMO_SLUG.into(),
        email: DEMO_ADMIN_EMAIL.into(),
        password,
        created: false,
    })
}

async fn seed_workspace(
    state: &AppState,
    org_id: i64,
    client: &ClientInfo,
) -> anyhow_like::Result<()> {
    let mut rng = StdRng::seed_from_u64(20_261_125);
    let now = state.now();
    let mut txn = AuditedTxn::begin(&state.db, org_id).await?;

    // One manager per region and department, then their reports.
    let mut people = 0usize;
    // (id, region, department, is manager) of everyone seeded, for teams and groups below.
    let mut staff: Vec<(i64, &str, &str, bool)> = Vec::new();
    let mut used = std::collections::HashSet::new();
    for (r, region) in REGIONS.iter().enumerate() {
        for (d, (department, titles)) in DEPARTMENTS.iter().enumerate() {
            let mut manager_id = None;
            for i in 0..10 {
                let (first, last) = loop {
                    let pair = (
                        FIRST[rng.gen_range(0..FIRST.len())],
                        LAST[rng.gen_range(0..LAST.len())],
                    );
                    if used.insert(pair) {
                        break pair;
                    }
                };
                let is_manager = i == 0;
                let title = if is_manager {
                    format!("{department} Manager, {region}")
                } else {
                    titles[i % titles.len()].to_string()
                };
                let lines = [PRODUCT_LINES[(r + d) % 4], PRODUCT_LINES[(r + d + i) % 4]];
                let mut lines: Vec<&str> = lines.to_vec();
                lines.dedup();
                let status = if !is_manager && rng.gen_ratio(1, 25) {
                    "suspended"
                } else {
                    "active"
                };
                let employment = if rng.gen_ratio(1, 6) {
                    "contractor"
                } else {
                    "employee"
                };
                let row = user::ActiveModel {
                    org_id: Set(org_id),
                    email: Set(format!(
                        "{}.{}@northwind.example",
                        ascii_fold(first),
                        ascii_fold(last)
                    )),
                    display_name: Set(format!("{first} {last}")),
                    name_key: Set(format!("{first} {last}").to_lowercase()),
                    status: Set(status.into()),
                    department: Set(Some((*department).into())),
                    job_title: Set(Some(title)),
                    region: Set(Some((*region).into())),
                    product_lines: Set(lines.join(",")),
                    employment: Set(employment.into()),
                    manager_id: Set(manager_id),
                    is_admin: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(txn.conn())
                .await?;
                if is_manager {
                    manager_id = Some(row.id);
                }
                staff.push((row.id, region, department, is_manager));
                people += 1;
            }
        }
    }

    let mut customer_ids = Vec::new();
    for i in 0..300 {
        let region = REGIONS[i % 4];
        let name = format!(
            "{} {}",
            ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"][i % 8],
            i + 1
        );
        let row = customer::ActiveModel {
            org_id: Set(org_id),
            name: Set(name.clone()),
            email: Set(format!("contact{}@{}.example", i + 1, ascii_fold(&name))),
            phone: Set(format!("+1 555 {:04}", rng.gen_range(0..10_000))),
            region: Set(region.into()),
            product_line: Set(PRODUCT_LINES[rng.gen_range(0..4)].into()),
            segment: Set(crate::domain::access::SEGMENTS[rng.gen_range(0..3)].into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn.conn())
        .await?;
        customer_ids.push((row.id, row.region, row.product_line, row.segment));
    }
    let tickets: Vec<ticket::ActiveModel> = (0..1_000)
        .map(|i| {
            let (customer_id, region, product_line, segment) =
                customer_ids[rng.gen_range(0..customer_ids.len())].clone();
            ticket::ActiveModel {
                org_id: Set(org_id),
                customer_id: Set(customer_id),
                subject: Set(SUBJECTS[i % SUBJECTS.len()].into()),
                status: Set(["open", "pending", "solved", "closed"][rng.gen_range(0..4)].into()),
                priority: Set(["low", "normal", "high", "urgent"][rng.gen_range(0..4)].into()),
                region: Set(region),
                product_line: Set(product_line),
                segment: Set(segment),
                channel: Set(crate::domain::access::CHANNELS[rng.gen_range(0..3)].into()),
                assignee_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
        })
        .collect();
    for chunk in tickets.chunks(200) {
        ticket::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn.conn())
            .await?;
    }
    let feedback: Vec<feedback::ActiveModel> = (0..600)
        .map(|i| {
            let (customer_id, region, product_line, segment) =
                customer_ids[rng.gen_range(0..customer_ids.len())].clone();
            feedback::ActiveModel {
                org_id: Set(org_id),
                customer_id: Set(customer_id),
                score: Set(rng.gen_range(0..=10)),
                comment: Set(COMMENTS[i % COMMENTS.len()].into()),
                region: Set(region),
                product_line: Set(product_line),
                segment: Set(segment),
                channel: Set(crate::domain::access::CHANNELS[rng.gen_range(0..4)].into()),
                created_at: Set(now),
                ..Default::default()
            }
        })
        .collect();
    for chunk in feedback.chunks(200) {
        feedback::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn.conn())
            .await?;
    }
    let access = seed_access(&mut txn, now, &staff).await?;
    txn.record(
        now,
        NewEvent {
            actor: Actor::system("castellan demo seed"),
            action: AuditAction::DemoSeeded,
            target: Target {
                kind: Some("organisation".into()),
                id: Some(org_id),
                label: Some(DEMO_SLUG.into()),
            },
            outcome: Outcome::Success,
            client: client.clone(),
            before: None,
            after: Some(serde_json::json!({
                "people": people, "customers": 300, "tickets": 1000, "feedback": 600,
                "teams": access.0, "groups": access.1, "assignments": access.2,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Teams, groups and assignments that show every kind of path: a team scoped to its region,
/// nested regional groups, a directly assigned manager, and a time-limited auditor. Returns
/// how many teams, groups and assignments it made.
async fn seed_access(
    txn: &mut AuditedTxn,
    now: chrono::DateTime<chrono::Utc>,
    staff: &[(i64, &str, &str, bool)],
) -> anyhow_like::Result<(usize, usize, usize)> {
    use crate::domain::access::{RoleTemplate, Scope, ScopeAttribute};
    use crate::server::entities::{
        assignment, group_child, group_member, team, team_member, user_group,
    };
    let org_id = txn.org_id();
    let roles = crate::server::services::access::seed_builtin_roles(
        txn,
        now,
        &Actor::system("castellan demo seed"),
    )
    .await?;
    let conn = txn.conn();
    let mut assignments = 0;
    let mut assign = |role: RoleTemplate, kind: &str, subject: i64, scope: Scope, ends_at| {
        assignments += 1;
        assignment::ActiveModel {
            org_id: Set(org_id),
            role_id: Set(roles[&role]),
            subject_kind: Set(kind.to_owned()),
            subject_id: Set(subject),
            scope: Set(serde_json::to_string(&scope).unwrap_or_else(|_| "{}".into())),
            starts_at: Set(None),
            ends_at: Set(ends_at),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
    };
    let mut rows = Vec::new();
    let unit = |name: String, description: &str| {
        (name.clone(), name.to_lowercase(), description.to_owned())
    };
    let all_staff = user_group::ActiveModel {
        org_id: Set(org_id),
        name: Set("All staff".into()),
        name_key: Set("all staff".into()),
        description: Set("Everyone at Northwind CX.".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let analysts = user_group::ActiveModel {
        org_id: Set(org_id),
        name: Set("Analysts".into()),
        name_key: Set("analysts".into()),
        description: Set("CX and data analysts in every region.".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    rows.push(assign(
        RoleTemplate::Analyst,
        "group",
        analysts.id,
        Scope::everywhere(),
        None,
    ));
    for region in REGIONS {
        let only_region = Scope::only(ScopeAttribute::Region, &[region]);
        let in_region: Vec<&(i64, &str, &str, bool)> =
            staff.iter().filter(|s| s.1 == region).collect();
        let support_lead = in_region
            .iter()
            .find(|s| s.2 == "Support" && s.3)
            .map(|s| s.0);
        let (name, key, description) = unit(
            format!("{region} Support Tier 1"),
            "First-line support for the region.",
        );
        let team = team::ActiveModel {
            org_id: Set(org_id),
            name: Set(name),
            name_key: Set(key),
            description: Set(description),
            lead_id: Set(support_lead),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        for s in in_region.iter().filter(|s| s.2 == "Support" && !s.3) {
            team_member::ActiveModel {
                org_id: Set(org_id),
                team_id: Set(team.id),
                user_id: Set(s.0),
            }
            .insert(conn)
            .await?;
        }
        rows.push(assign(
            RoleTemplate::SupportAgent,
            "team",
            team.id,
            only_region.clone(),
            None,
        ));
        if let Some(lead) = support_lead {
            rows.push(assign(
                RoleTemplate::TeamManager,
                "user",
                lead,
                only_region.clone(),
                None,
            ));
        }
        if let Some(success) = in_region.iter().find(|s| s.2 == "Success" && s.3) {
            rows.push(assign(
                RoleTemplate::RegionalManager,
                "user",
                success.0,
                only_region.clone(),
                None,
            ));
        }
        let (name, key, description) = unit(
            format!("All {region} staff"),
            "Everyone based in the region.",
        );
        let group = user_group::ActiveModel {
            org_id: Set(org_id),
            name: Set(name),
            name_key: Set(key),
            description: Set(description),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        group_child::ActiveModel {
            org_id: Set(org_id),
            parent_id: Set(all_staff.id),
            child_id: Set(group.id),
        }
        .insert(conn)
        .await?;
        for s in &in_region {
            group_member::ActiveModel {
                org_id: Set(org_id),
                group_id: Set(group.id),
                user_id: Set(s.0),
            }
            .insert(conn)
            .await?;
            if s.2 == "Analytics" {
                group_member::ActiveModel {
                    org_id: Set(org_id),
                    group_id: Set(analysts.id),
                    user_id: Set(s.0),
                }
                .insert(conn)
                .await?;
            }
        }
    }
    if let Some(auditor) = staff.iter().find(|s| s.1 == "EMEA" && s.2 == "IT" && s.3) {
        rows.push(assign(
            RoleTemplate::ComplianceAuditor,
            "user",
            auditor.0,
            Scope::everywhere(),
            Some(now + chrono::Duration::days(90)),
        ));
    }
    assignment::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok((REGIONS.len(), REGIONS.len() + 2, assignments))
}

/// A tiny boxed-error result for the seeding command; the CLI turns it into anyhow.
pub mod anyhow_like {
    /// Boxed error.
    pub type Error = Box<dyn std::error::Error + Send + Sync>;
    /// Result with a boxed error.
    pub type Result<T> = std::result::Result<T, Error>;

    /// An error from a message.
    pub fn msg(message: impl Into<String>) -> Error {
        message.into().into()
    }
}
