//! Roles, teams, groups, assignments and the workspace through HTTP: every console write
//! refuses a user without the permission, delegated administrators cannot escalate, cycles are
//! refused by name, and scoped access filters lists and single records.

mod helpers;

use app::server::entities::{assignment, audit_event, role, team, team_member, ticket, user};
use helpers::{location, spawn_app_with_clock, Backend, TestApp, TestClock, ADMIN_PASSWORD};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

const PASSWORD: &str = "a long enough password";

/// Posts like code does (not a browser form): failures come back as status codes.
async fn post_api(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = app.csrf("/").await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    app.client
        .post(app.url(path))
        .header("accept", "application/json")
        .form(&all)
        .send()
        .await
        .expect("POST")
}

/// Posts like a browser form: success and failure both redirect.
async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = app.csrf("/").await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    app.post_form(path, &all).await
}

/// The id at the end of a redirect such as `/roles/12`.
fn id_from(response: &reqwest::Response) -> i64 {
    let path = location(response).expect("a redirect");
    path.rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no id in {path}"))
}

async fn person(app: &TestApp, name: &str, email: &str, region: &str) -> i64 {
    let response = post_form(
        app,
        "/api/people/create",
        &[
            ("form[display_name]", name),
            ("form[email]", email),
            ("form[region]", region),
            ("form[employment]", "employee"),
            ("initial_password", PASSWORD),
        ],
    )
    .await;
    id_from(&response)
}

async fn create_role(
    app: &TestApp,
    name: &str,
    permissions: &[&str],
    includes: &[i64],
) -> reqwest::Response {
    let includes: Vec<String> = includes.iter().map(i64::to_string).collect();
    let mut fields = vec![("form[name]", name)];
    fields.extend(permissions.iter().map(|p| ("form[permissions][]", *p)));
    fields.extend(includes.iter().map(|i| ("form[includes][]", i.as_str())));
    post_form(app, "/api/roles/create", &fields).await
}

async fn create_unit(app: &TestApp, kind: &str, name: &str) -> i64 {
    id_from(
        &post_form(
            app,
            "/api/units/create",
            &[("kind", kind), ("form[name]", name)],
        )
        .await,
    )
}

async fn add_members(app: &TestApp, kind: &str, id: i64, emails: &str) -> reqwest::Response {
    post_form(
        app,
        "/api/units/add_members",
        &[("kind", kind), ("id", &id.to_string()), ("members", emails)],
    )
    .await
}

async fn assign(
    app: &TestApp,
    role_id: i64,
    kind: &str,
    subject: &str,
    regions: &[&str],
    ends_at: &str,
) -> reqwest::Response {
    let role = role_id.to_string();
    let mut fields = vec![
        ("form[role_id]", role.as_str()),
        ("form[subject_kind]", kind),
        ("form[subject]", subject),
        ("form[ends_at]", ends_at),
        ("back", "/roles"),
    ];
    fields.extend(regions.iter().map(|r| ("form[regions][]", *r)));
    post_form(app, "/api/assignments/create", &fields).await
}

async fn template_role(app: &TestApp, org_id: i64, key: &str) -> i64 {
    role::Entity::find()
        .filter(role::Column::OrgId.eq(org_id))
        .filter(role::Column::Template.eq(key))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("template role")
        .id
}

async fn denied_events(app: &TestApp, org_id: i64) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(org_id))
        .filter(audit_event::Column::Action.eq("authz.denied"))
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Row counts of every table a console write changes.
async fn table_counts(app: &TestApp) -> Vec<u64> {
    use app::server::entities::*;
    let db = &app.state.db;
    vec![
        user::Entity::find().count(db).await.unwrap(),
        role::Entity::find().count(db).await.unwrap(),
        role_permission::Entity::find().count(db).await.unwrap(),
        role_include::Entity::find().count(db).await.unwrap(),
        assignment::Entity::find().count(db).await.unwrap(),
        team::Entity::find().count(db).await.unwrap(),
        team_member::Entity::find().count(db).await.unwrap(),
        user_group::Entity::find().count(db).await.unwrap(),
        group_member::Entity::find().count(db).await.unwrap(),
        group_child::Entity::find().count(db).await.unwrap(),
        user::Entity::find()
            .filter(user::Column::Status.eq("suspended"))
            .count(db)
            .await
            .unwrap(),
    ]
}

async fn insert_ticket(app: &TestApp, org_id: i64, region: &str) -> i64 {
    use app::server::entities::customer;
    let now = chrono::Utc::now();
    let customer = customer::ActiveModel {
        org_id: Set(org_id),
        name: Set(format!("Customer {region}")),
        email: Set(format!("c-{region}@example.test")),
        phone: Set("+1 555 0100".into()),
        region: Set(region.into()),
        product_line: Set("Payments".into()),
        segment: Set("SMB".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    ticket::ActiveModel {
        org_id: Set(org_id),
        customer_id: Set(customer.id),
        subject: Set(format!("Ticket in {region}")),
        status: Set("open".into()),
        priority: Set("normal".into()),
        region: Set(region.into()),
        product_line: Set("Payments".into()),
        segment: Set("SMB".into()),
        channel: Set("email".into()),
        assignee_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap()
    .id
}

async fn every_console_write_refuses_a_user_without_the_permission(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let nobody = person(&app, "No Body", "nobody@acme.test", "EMEA").await;
    let other = person(&app, "Other Person", "other@acme.test", "EMEA").await;
    let role_id = id_from(&create_role(&app, "Custom", &["ticket.view"], &[]).await);
    let team_id = create_unit(&app, "team", "Tier 1").await;
    let group_id = create_unit(&app, "group", "Outer").await;
    let inner_id = create_unit(&app, "group", "Inner").await;
    add_members(&app, "group", group_id, "other@acme.test").await;
    post_form(
        &app,
        "/api/groups/nest",
        &[("parent", &group_id.to_string()), ("child", "Inner")],
    )
    .await;
    assign(&app, role_id, "user", "other@acme.test", &[], "").await;
    let assignment_id = assignment::Entity::find()
        .filter(assignment::Column::RoleId.eq(role_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id;

    let mallory = app.other_browser();
    mallory
        .sign_in_ok("acme", "nobody@acme.test", PASSWORD)
        .await;
    let (role, team, group, inner, assignment, other_id) = (
        role_id.to_string(),
        team_id.to_string(),
        group_id.to_string(),
        inner_id.to_string(),
        assignment_id.to_string(),
        other.to_string(),
    );
    let attempts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/api/roles/create",
            vec![
                ("form[name]", "Mine"),
                ("form[permissions][]", "role.manage"),
            ],
        ),
        (
            "/api/roles/update",
            vec![
                ("id", &role),
                ("form[name]", "Renamed"),
                ("form[permissions][]", "role.manage"),
            ],
        ),
        ("/api/roles/copy", vec![("id", &role)]),
        ("/api/roles/delete", vec![("id", &role)]),
        (
            "/api/assignments/create",
            vec![
                ("form[role_id]", &role),
                ("form[subject_kind]", "user"),
                ("form[subject]", "nobody@acme.test"),
                ("back", "/"),
            ],
        ),
        (
            "/api/assignments/revoke",
            vec![("id", &assignment), ("back", "/")],
        ),
        (
            "/api/units/create",
            vec![("kind", "team"), ("form[name]", "Mine")],
        ),
        (
            "/api/units/create",
            vec![("kind", "group"), ("form[name]", "Mine")],
        ),
        (
            "/api/units/update",
            vec![("kind", "team"), ("id", &team), ("form[name]", "Renamed")],
        ),
        (
            "/api/units/add_members",
            vec![
                ("kind", "team"),
                ("id", &team),
                ("members", "nobody@acme.test"),
            ],
        ),
        (
            "/api/units/add_members",
            vec![
                ("kind", "group"),
                ("id", &group),
                ("members", "nobody@acme.test"),
            ],
        ),
        (
            "/api/units/remove_members",
            vec![("kind", "group"), ("id", &group), ("ids[]", &other_id)],
        ),
        (
            "/api/groups/nest",
            vec![("parent", &inner), ("child", "Outer")],
        ),
        (
            "/api/groups/unnest",
            vec![("parent", &group), ("child", &inner)],
        ),
        (
            "/api/people/create",
            vec![
                ("form[display_name]", "Sneaky"),
                ("form[email]", "sneaky@acme.test"),
            ],
        ),
        (
            "/api/people/update",
            vec![
                ("id", &other_id),
                ("form[display_name]", "Changed"),
                ("form[email]", "other@acme.test"),
            ],
        ),
        ("/api/people/suspend", vec![("ids", &other_id)]),
        ("/api/people/reactivate", vec![("id", &other_id)]),
        ("/api/people/mfa/reset", vec![("id", &other_id)]),
        (
            "/api/settings/mfa/update",
            vec![("form[grace_days]", "0"), ("form[required_for_all]", "on")],
        ),
    ];
    let before = table_counts(&app).await;
    for (path, fields) in &attempts {
        let denied_before = denied_events(&app, admin.org_id).await.len();
        let response = post_api(&mallory, path, fields).await;
        assert_eq!(response.status(), 403, "{path} {fields:?}");
        let denied = denied_events(&app, admin.org_id).await;
        assert_eq!(
            denied.len(),
            denied_before + 1,
            "{path} writes one denied-attempt event"
        );
        let event = denied.last().unwrap();
        assert_eq!(event.actor_label, "nobody@acme.test");
        assert_eq!(event.outcome, "denied");
    }
    assert_eq!(table_counts(&app).await, before, "nothing changed");
    let stored = role::Entity::find_by_id(role_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "Custom");
    assert_eq!(
        nobody,
        user::Entity::find_by_id(nobody)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id
    );
}

async fn delegated_administrators_cannot_give_more_than_they_hold(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    person(&app, "Dee Legate", "dee@acme.test", "EMEA").await;
    person(&app, "Agent Emea", "agent@acme.test", "EMEA").await;
    let support = template_role(&app, admin.org_id, "support-agent").await;
    let senior = template_role(&app, admin.org_id, "senior-agent").await;
    let administrator = template_role(&app, admin.org_id, "administrator").await;
    let delegated = id_from(
        &create_role(
            &app,
            "EMEA access admin",
            &[
                "role.view",
                "role.manage",
                "role.assign",
                "team.view",
                "team.manage",
                "user.view",
            ],
            &[support],
        )
        .await,
    );
    assign(&app, delegated, "user", "dee@acme.test", &["EMEA"], "").await;
    let admins = create_unit(&app, "team", "Platform admins").await;
    assign(&app, administrator, "team", "Platform admins", &[], "").await;
    let emea_team = create_unit(&app, "team", "EMEA Tier 1").await;

    let dee = app.other_browser();
    dee.sign_in_ok("acme", "dee@acme.test", PASSWORD).await;
    let refused = |response: &reqwest::Response| response.status() == 422;

    // A role with a permission Dee does not hold at all.
    let response = post_api(
        &dee,
        "/api/roles/create",
        &[
            ("form[name]", "PII readers"),
            ("form[permissions][]", "customer.view_pii"),
        ],
    )
    .await;
    assert!(refused(&response), "{}", response.status());
    assert!(response.text().await.unwrap().contains("customer.view_pii"));
    // A role with a permission Dee holds only in EMEA: a role applies wherever it is given.
    let response = post_api(
        &dee,
        "/api/roles/create",
        &[
            ("form[name]", "Ticket readers"),
            ("form[permissions][]", "ticket.view"),
        ],
    )
    .await;
    assert!(refused(&response), "{}", response.status());
    // Her own role, widened.
    let response = post_api(
        &dee,
        "/api/roles/update",
        &[
            ("id", &delegated.to_string()),
            ("form[name]", "EMEA access admin"),
            ("form[permissions][]", "role.manage"),
            ("form[permissions][]", "audit_event.view"),
        ],
    )
    .await;
    assert!(refused(&response), "{}", response.status());
    // Support Agent everywhere, or in NA, is more than she holds; Senior Agent adds personal data.
    let support_id = support.to_string();
    for (role, regions) in [
        (&support_id, vec![]),
        (&support_id, vec!["NA"]),
        (&senior.to_string(), vec!["EMEA"]),
    ] {
        let mut fields = vec![
            ("form[role_id]", role.as_str()),
            ("form[subject_kind]", "user"),
            ("form[subject]", "agent@acme.test"),
            ("back", "/"),
        ];
        fields.extend(regions.iter().map(|r| ("form[regions][]", *r)));
        let response = post_api(&dee, "/api/assignments/create", &fields).await;
        assert!(
            refused(&response),
            "{role} {regions:?}: {}",
            response.status()
        );
    }
    // Joining a team that holds Administrator would hand her everything.
    let response = post_api(
        &dee,
        "/api/units/add_members",
        &[
            ("kind", "team"),
            ("id", &admins.to_string()),
            ("members", "dee@acme.test"),
        ],
    )
    .await;
    assert!(refused(&response), "{}", response.status());
    assert_eq!(
        team_member::Entity::find()
            .filter(team_member::Column::TeamId.eq(admins))
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );

    let escalations = denied_events(&app, admin.org_id)
        .await
        .into_iter()
        .filter(|e| {
            e.after_json
                .as_deref()
                .is_some_and(|a| a.contains("escalation"))
        })
        .count();
    assert_eq!(escalations, 7, "every refused escalation is audited");

    // What she does hold, she can give: Support Agent in EMEA, to a person or a team.
    let mut fields = vec![
        ("form[role_id]", support_id.as_str()),
        ("form[subject_kind]", "team"),
        ("form[subject]", "EMEA Tier 1"),
        ("back", "/"),
        ("form[regions][]", "EMEA"),
    ];
    let response = post_api(&dee, "/api/assignments/create", &fields).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    fields[2] = ("form[subject]", "EMEA Tier 1");
    let response = post_api(
        &dee,
        "/api/units/add_members",
        &[
            ("kind", "team"),
            ("id", &emea_team.to_string()),
            ("members", "agent@acme.test"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
}

async fn temporary_access_cannot_be_made_permanent(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    person(&app, "Tim Temp", "tim@acme.test", "EMEA").await;
    let role = id_from(
        &create_role(
            &app,
            "Access admin",
            &["role.view", "role.assign", "ticket.view"],
            &[],
        )
        .await,
    );
    let in_a_day = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let in_a_week = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    assign(&app, role, "user", "tim@acme.test", &[], &in_a_day).await;

    let tim = app.other_browser();
    tim.sign_in_ok("acme", "tim@acme.test", PASSWORD).await;
    let role_id = role.to_string();
    for ends in ["", in_a_week.as_str()] {
        let response = post_api(
            &tim,
            "/api/assignments/create",
            &[
                ("form[role_id]", &role_id),
                ("form[subject_kind]", "user"),
                ("form[subject]", "tim@acme.test"),
                ("form[ends_at]", ends),
                ("back", "/"),
            ],
        )
        .await;
        assert_eq!(
            response.status(),
            422,
            "giving oneself the role until {ends:?} must be refused"
        );
    }
    let within = (chrono::Utc::now() + chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let response = post_api(
        &tim,
        "/api/assignments/create",
        &[
            ("form[role_id]", &role_id),
            ("form[subject_kind]", "user"),
            ("form[subject]", "admin@acme.test"),
            ("form[ends_at]", &within),
            ("back", "/"),
        ],
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "within his own window he may give it"
    );
}

async fn saving_a_team_keeps_its_lead(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    person(&app, "Lea Lead", "lea@acme.test", "EMEA").await;
    let id = id_from(
        &post_form(
            &app,
            "/api/units/create",
            &[
                ("kind", "team"),
                ("form[name]", "Tier 1"),
                ("form[lead]", "lea@acme.test"),
            ],
        )
        .await,
    );
    let page = app.get_text(&format!("/teams/{id}")).await;
    assert!(
        page.contains("value=\"lea@acme.test\""),
        "the edit form starts from the stored lead"
    );
}

async fn cycles_are_refused_and_named(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let base = id_from(&create_role(&app, "Base", &["ticket.view"], &[]).await);
    let middle = id_from(&create_role(&app, "Middle", &["ticket.edit"], &[base]).await);
    let top = id_from(&create_role(&app, "Top", &[], &[middle]).await);
    let response = post_form(
        &app,
        "/api/roles/update",
        &[
            ("id", &base.to_string()),
            ("form[name]", "Base"),
            ("form[permissions][]", "ticket.view"),
            ("form[includes][]", &top.to_string()),
        ],
    )
    .await;
    assert_eq!(location(&response), Some(format!("/roles/{base}")));
    let page = app.get_text(&format!("/roles/{base}")).await;
    assert!(
        page.contains("Including this role would make a cycle: Base → Top → Middle → Base."),
        "role cycle named"
    );
    // What was typed is kept: Top stays ticked.
    assert!(page.contains(&format!(
        "id=\"include-{top}\" name=\"form[includes][]\" value=\"{top}\" checked"
    )));

    let outer = create_unit(&app, "group", "Outer").await;
    let inner = create_unit(&app, "group", "Inner").await;
    post_form(
        &app,
        "/api/groups/nest",
        &[("parent", &outer.to_string()), ("child", "Inner")],
    )
    .await;
    post_form(
        &app,
        "/api/groups/nest",
        &[("parent", &inner.to_string()), ("child", "Outer")],
    )
    .await;
    let page = app.get_text(&format!("/groups/{inner}")).await;
    assert!(
        page.contains("This would make a cycle: Inner → Outer → Inner."),
        "group cycle named"
    );
}

async fn a_scoped_agent_sees_only_their_region(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    person(&app, "Ema Agent", "ema@acme.test", "EMEA").await;
    let team_id = create_unit(&app, "team", "EMEA Tier 1").await;
    add_members(&app, "team", team_id, "ema@acme.test").await;
    let role_id = id_from(
        &create_role(
            &app,
            "Ticket reader",
            &["ticket.view", "customer.view"],
            &[],
        )
        .await,
    );
    assign(&app, role_id, "team", "EMEA Tier 1", &["EMEA"], "").await;
    let mut emea = Vec::new();
    for _ in 0..3 {
        emea.push(insert_ticket(&app, admin.org_id, "EMEA").await);
    }
    let na = insert_ticket(&app, admin.org_id, "NA").await;
    insert_ticket(&app, admin.org_id, "NA").await;

    let ema = app.other_browser();
    ema.sign_in_ok("acme", "ema@acme.test", PASSWORD).await;
    let list = ema.get_text("/tickets").await;
    assert!(list.contains("3 shown of 3"), "counted in the database");
    assert!(list.contains("region = EMEA"));
    assert!(!list.contains("Ticket in NA"));
    let widened = ema.get_text("/tickets?region=NA").await;
    assert!(
        widened.contains("0 shown of 0"),
        "a filter cannot widen access"
    );

    let page = ema.get_text(&format!("/tickets/{}", emea[0])).await;
    assert!(page.contains(
        "Ema Agent → team EMEA Tier 1 → role Ticket reader (region = EMEA) → ticket.view"
    ));
    let response = ema.get(&format!("/tickets/{na}")).await;
    assert_eq!(response.status(), 403);
    let refusal = denied_events(&app, admin.org_id)
        .await
        .into_iter()
        .last()
        .unwrap();
    assert_eq!(refusal.target_id, Some(na));
    assert!(refusal
        .after_json
        .unwrap()
        .contains("ticket.view is granted only for region = EMEA"));

    // Navigation shows what the access allows, and nothing else.
    let dashboard = ema.get_text("/").await;
    assert!(dashboard.contains("href=\"/tickets\""));
    assert!(!dashboard.contains("href=\"/roles\""));
    assert!(!dashboard.contains("href=\"/people\""));
    // Customers without personal data.
    let customers = ema.get_text("/customers").await;
    assert!(customers.contains("Customer EMEA") && !customers.contains("c-EMEA@example.test"));
    assert!(!customers.contains("Customer NA"));

    // Taking the role away ends it at once.
    let assignment_id = assignment::Entity::find()
        .filter(assignment::Column::RoleId.eq(role_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let response = post_form(
        &app,
        "/api/assignments/revoke",
        &[
            ("id", &assignment_id.to_string()),
            ("back", &format!("/roles/{role_id}")),
        ],
    )
    .await;
    assert_eq!(location(&response), Some(format!("/roles/{role_id}")));
    assert_eq!(ema.get("/tickets").await.status(), 403);
}

async fn another_organisation_never_sees_these_records(app: TestApp) {
    let acme = app.admin("acme", "admin@acme.test").await;
    app.admin("globex", "admin@globex.test").await;
    let ticket_id = insert_ticket(&app, acme.org_id, "EMEA").await;
    let team = team::ActiveModel {
        org_id: Set(acme.org_id),
        name: Set("Acme secret team".into()),
        name_key: Set("acme secret team".into()),
        description: Set(String::new()),
        lead_id: Set(None),
        created_at: Set(chrono::Utc::now()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    app.sign_in_ok("globex", "admin@globex.test", ADMIN_PASSWORD)
        .await;
    assert!(!app.get_text("/tickets").await.contains("Ticket in EMEA"));
    assert_eq!(
        app.get(&format!("/tickets/{ticket_id}")).await.status(),
        404
    );
    assert_eq!(app.get(&format!("/teams/{}", team.id)).await.status(), 404);
    assert!(!app.get_text("/teams").await.contains("Acme secret team"));
    // Naming another organisation's team as an assignment subject finds nothing.
    let admin_role = template_role(&app, acme.org_id, "administrator").await;
    let response = post_api(
        &app,
        "/api/assignments/create",
        &[
            ("form[role_id]", &admin_role.to_string()),
            ("form[subject_kind]", "team"),
            ("form[subject]", "Acme secret team"),
            ("back", "/"),
        ],
    )
    .await;
    assert_eq!(
        response.status(),
        422,
        "another organisation's role is not a choice here"
    );
}

async fn role_changes_are_audited_with_before_and_after(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let id = id_from(&create_role(&app, "Readers", &["ticket.view"], &[]).await);
    post_form(
        &app,
        "/api/roles/update",
        &[
            ("id", &id.to_string()),
            ("form[name]", "Readers"),
            ("form[permissions][]", "ticket.view"),
            ("form[permissions][]", "feedback.view"),
        ],
    )
    .await;
    let event = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("role.updated"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("role.updated");
    assert!(event.before_json.unwrap().contains("[\"ticket.view\"]"));
    assert!(event
        .after_json
        .unwrap()
        .contains("[\"feedback.view\",\"ticket.view\"]"));
    assert_eq!(event.target_id, Some(id));
    let history = app.get_text(&format!("/roles/{id}")).await;
    assert!(history.contains("Readers"));
}

async fn built_in_roles_are_read_only_and_copies_are_not(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let support = template_role(&app, admin.org_id, "support-agent").await;
    let response = post_api(
        &app,
        "/api/roles/update",
        &[("id", &support.to_string()), ("form[name]", "Mine now")],
    )
    .await;
    assert_eq!(response.status(), 409);
    let copy = id_from(&post_form(&app, "/api/roles/copy", &[("id", &support.to_string())]).await);
    let page = app.get_text(&format!("/roles/{copy}")).await;
    assert!(page.contains("Copy of Support Agent"));
    assert!(
        page.contains("value=\"ticket.view\" checked"),
        "the copy starts with the template's permissions"
    );
    let response = post_form(&app, "/api/roles/delete", &[("id", &copy.to_string())]).await;
    assert_eq!(location(&response).as_deref(), Some("/roles"));
    assert!(role::Entity::find_by_id(copy)
        .one(&app.state.db)
        .await
        .unwrap()
        .is_none());
}

async fn pages_one_may_see_refuse_nothing_on_the_side(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let lead = person(&app, "Lea Lead", "lea@acme.test", "EMEA").await;
    let team_id = create_unit(&app, "team", "EMEA Tier 1").await;
    add_members(&app, "team", team_id, "lea@acme.test").await;
    let viewer =
        id_from(&create_role(&app, "People viewer", &["user.view", "team.view"], &[]).await);
    assign(&app, viewer, "user", "lea@acme.test", &[], "").await;

    let lea = app.other_browser();
    lea.sign_in_ok("acme", "lea@acme.test", PASSWORD).await;
    for path in [
        format!("/people/{lead}"),
        format!("/teams/{team_id}"),
        "/".into(),
        "/profile".into(),
    ] {
        let response = lea.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    let page = lea.get_text(&format!("/people/{lead}")).await;
    assert!(page.contains("Lea Lead → role People viewer → user.view"));
    assert!(
        !page.contains("Give a role"),
        "no assignment form without role.assign"
    );
    assert!(
        denied_events(&app, admin.org_id).await.is_empty(),
        "optional parts of a page are not refusals"
    );
}

on_both_databases!(
    pages_one_may_see_refuse_nothing_on_the_side,
    temporary_access_cannot_be_made_permanent,
    saving_a_team_keeps_its_lead,
    every_console_write_refuses_a_user_without_the_permission,
    delegated_administrators_cannot_give_more_than_they_hold,
    cycles_are_refused_and_named,
    a_scoped_agent_sees_only_their_region,
    another_organisation_never_sees_these_records,
    role_changes_are_audited_with_before_and_after,
    built_in_roles_are_read_only_and_copies_are_not,
);

/// A role with an end time stops granting when the clock passes it (the injected clock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_ends_when_its_end_time_passes() {
    let clock = TestClock::new();
    let app = spawn_app_with_clock(Backend::Sqlite, clock.clone())
        .await
        .unwrap();
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    person(&app, "Tem Porary", "temp@acme.test", "NA").await;
    let role_id = id_from(&create_role(&app, "Temporary readers", &["ticket.view"], &[]).await);
    let ends = (app::server::Clock::now(&*clock) + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let response = assign(&app, role_id, "user", "temp@acme.test", &[], &ends).await;
    assert_eq!(location(&response).as_deref(), Some("/roles"));
    insert_ticket(&app, admin.org_id, "NA").await;
    let temp = app.other_browser();
    temp.sign_in_ok("acme", "temp@acme.test", PASSWORD).await;
    assert!(temp.get_text("/tickets").await.contains("1 shown of 1"));
    clock.advance(chrono::Duration::minutes(61));
    assert_eq!(
        temp.get("/tickets").await.status(),
        403,
        "expired at its end time"
    );
}
