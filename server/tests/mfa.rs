//! Second factors through HTTP, with codes from the real `oathtool`: enrolment, the second step
//! of sign-in, replay, recovery codes, throttling, removal and reset.

mod helpers;

use app::server::entities::audit_event;
use helpers::{extract_csrf, location, TestApp, ADMIN_PASSWORD};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// A TOTP code from `oathtool` for `secret`, `offset_seconds` from the real now.
fn oathtool(secret: &str, offset_seconds: i64) -> String {
    let at = (chrono::Utc::now() + chrono::Duration::seconds(offset_seconds))
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    let output = std::process::Command::new("oathtool")
        .args(["--totp", "-b", "--now", &at, secret])
        .output()
        .expect("oathtool is installed (Debian package oathtool)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = app.csrf("/security").await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    app.post_form(path, &all).await
}

/// Enrols the signed-in person; returns the base32 secret, the recovery codes and the code that
/// turned the app on (spent from then on).
async fn enrol(app: &TestApp) -> (String, Vec<String>, String) {
    post(app, "/api/me/totp/begin", &[]).await;
    let page = app.get_text("/security").await;
    let secret = between(&page, "id=\"totp-secret\">", "<")
        .expect("the secret is shown")
        .to_owned();
    assert!(page.contains("<svg"), "the QR code is inline SVG");
    let first_code = oathtool(&secret, 0);
    let response = post(app, "/api/me/totp/confirm", &[("code", &first_code)]).await;
    assert_eq!(location(&response).as_deref(), Some("/security"));
    let page = app.get_text("/security").await;
    let list = between(&page, "id=\"recovery-codes\"", "</ul>").unwrap_or_else(|| {
        panic!(
            "codes are shown once: {}",
            &page[page.find("<main").unwrap_or(0)..]
        )
    });
    let codes: Vec<String> = list
        .split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(
        !app.get_text("/security")
            .await
            .contains("id=\"recovery-codes\""),
        "shown only once"
    );
    (secret, codes, first_code)
}

/// Password step; returns where it sends the browser.
async fn password_step(app: &TestApp) -> Option<String> {
    location(&app.sign_in("acme", "admin@acme.test", ADMIN_PASSWORD).await)
}

async fn second_step(app: &TestApp, code: &str) -> reqwest::Response {
    let page = app.get_text("/login/mfa").await;
    let token = extract_csrf(&page).expect("csrf on the second step");
    app.post_form(
        "/api/login/verify",
        &[("csrf_token", &token), ("code", code)],
    )
    .await
}

async fn actions(app: &TestApp, org_id: i64) -> Vec<String> {
    audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(org_id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.outcome))
        .collect()
}

async fn an_app_code_becomes_the_second_step_and_is_accepted_once(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let (secret, _, enrolment_code) = enrol(&app).await;
    app.post_form("/api/sign_out", &[("csrf_token", &app.csrf("/").await)])
        .await;

    assert_eq!(password_step(&app).await.as_deref(), Some("/login/mfa"));
    // The password alone opens nothing.
    assert_eq!(location(&app.get("/").await).as_deref(), Some("/login"));
    // The code used to turn the app on cannot be used again.
    let refused = second_step(&app, &enrolment_code).await;
    assert_eq!(location(&refused).as_deref(), Some("/login/mfa"));
    assert!(
        app.get_text("/login/mfa").await.contains("already used")
            || app.get_text("/login/mfa").await.contains("not right")
    );
    // The next step's code (one step of drift) signs in, under a new session id.
    // One code for both attempts, so a step boundary passing in between cannot change it.
    let next = oathtool(&secret, 30);
    let ok = second_step(&app, &next).await;
    assert_eq!(location(&ok).as_deref(), Some("/"));
    assert_eq!(app.get("/").await.status(), 200);
    // ...and that code is spent too.
    app.post_form("/api/sign_out", &[("csrf_token", &app.csrf("/").await)])
        .await;
    password_step(&app).await;
    let replay = second_step(&app, &next).await;
    assert_eq!(location(&replay).as_deref(), Some("/login/mfa"));
    let log = actions(&app, admin.org_id).await;
    for expected in [
        "mfa.enrolment_started success",
        "mfa.enrolled success",
        "mfa.verified success",
        "mfa.failed failure",
    ] {
        assert!(log.iter().any(|a| a == expected), "{expected} in {log:?}");
    }
}

async fn recovery_codes_work_once_each(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let (_, codes, _) = enrol(&app).await;
    app.post_form("/api/sign_out", &[("csrf_token", &app.csrf("/").await)])
        .await;
    password_step(&app).await;
    let typed = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(
        location(&second_step(&app, &typed).await).as_deref(),
        Some("/")
    );
    assert!(app.get_text("/security").await.contains("9 of 10 left."));
    app.post_form("/api/sign_out", &[("csrf_token", &app.csrf("/").await)])
        .await;
    password_step(&app).await;
    assert_eq!(
        location(&second_step(&app, &codes[0]).await).as_deref(),
        Some("/login/mfa")
    );
    assert_eq!(
        location(&second_step(&app, &codes[1]).await).as_deref(),
        Some("/")
    );
}

async fn ten_wrong_codes_lock_the_second_step(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let (secret, _, _) = enrol(&app).await;
    app.post_form("/api/sign_out", &[("csrf_token", &app.csrf("/").await)])
        .await;
    password_step(&app).await;
    for _ in 0..10 {
        second_step(&app, "000000").await;
    }
    let right = second_step(&app, &oathtool(&secret, 30)).await;
    assert_eq!(
        location(&right).as_deref(),
        Some("/login/mfa"),
        "locked even for the right code"
    );
    assert!(app
        .get_text("/login/mfa")
        .await
        .contains("Too many wrong codes"));
    assert!(actions(&app, admin.org_id)
        .await
        .iter()
        .any(|a| a == "mfa.locked success"));
}

async fn removing_the_app_needs_the_password_and_an_admin_can_reset(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    enrol(&app).await;
    post(
        &app,
        "/api/me/totp/remove",
        &[("password", "not my password")],
    )
    .await;
    assert!(app
        .get_text("/security")
        .await
        .contains("That is not your password."));
    post(&app, "/api/me/totp/remove", &[("password", ADMIN_PASSWORD)]).await;
    assert!(app
        .get_text("/security")
        .await
        .contains("Set up an authenticator app"));
    enrol(&app).await;
    // An administrator resets someone else's factors (here: their own, through the person page).
    let me = app.state.db.clone();
    let admin_id = app::server::entities::user::Entity::find()
        .filter(app::server::entities::user::Column::Email.eq("admin@acme.test"))
        .one(&me)
        .await
        .unwrap()
        .unwrap()
        .id;
    let page = app.get_text(&format!("/people/{admin_id}")).await;
    assert!(page.contains("Reset second factors"));
    assert!(
        !page.contains("totp-secret"),
        "administrators never see a secret"
    );
    let token = extract_csrf(&page).unwrap();
    app.post_form(
        "/api/people/mfa/reset",
        &[("csrf_token", &token), ("id", &admin_id.to_string())],
    )
    .await;
    // A reset ends every session that passed the old factor, this one included.
    let after = app.get("/").await;
    if location(&after).is_none() {
        let text = after.text().await.unwrap();
        panic!(
            "still signed in: {}",
            &text[text.find("<main").unwrap_or(0)..]
                .chars()
                .take(1500)
                .collect::<String>()
        );
    }
    assert_eq!(location(&after).as_deref(), Some("/login"));
    assert_eq!(
        password_step(&app).await.as_deref(),
        Some("/"),
        "no second step after a reset"
    );
}

/// A role that requires a second factor: its holders are reminded, then, after the grace
/// period, refused everything but setting one up; with one, they are back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_requiring_mfa_is_enforced_after_the_grace_period() {
    let clock = helpers::TestClock::new();
    let app = helpers::spawn_app_with_clock(helpers::Backend::Sqlite, clock.clone())
        .await
        .unwrap();
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let created = app
        .create_person("Mara Pii", "mara@acme.test", "mara's long password")
        .await;
    assert!(location(&created).unwrap().starts_with("/people/"));
    let role = post(
        &app,
        "/api/roles/create",
        &[
            ("form[name]", "PII readers"),
            ("form[permissions][]", "customer.view"),
            ("form[requires_mfa]", "on"),
        ],
    )
    .await;
    let role_id = location(&role)
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    post(
        &app,
        "/api/assignments/create",
        &[
            ("form[role_id]", &role_id),
            ("form[subject_kind]", "user"),
            ("form[subject]", "mara@acme.test"),
            ("back", "/roles"),
        ],
    )
    .await;

    let mara = app.other_browser();
    mara.sign_in_ok("acme", "mara@acme.test", "mara's long password")
        .await;
    let dashboard = mara.get_text("/").await;
    assert!(
        dashboard.contains("Your access requires a second factor. Set one up by"),
        "reminded during the grace period"
    );
    assert_eq!(mara.get("/customers").await.status(), 200);

    clock.advance(chrono::Duration::days(8));
    mara.sign_in_ok("acme", "mara@acme.test", "mara's long password")
        .await;
    let refused = mara.get("/customers").await;
    assert_eq!(refused.status(), 403);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("A second factor is required"));
    // Setting one up is still possible, with codes for the server's (moved) clock.
    post(&mara, "/api/me/totp/begin", &[]).await;
    let page = mara.get_text("/security").await;
    let secret = between(&page, "id=\"totp-secret\">", "<")
        .unwrap()
        .to_owned();
    post(
        &mara,
        "/api/me/totp/confirm",
        &[("code", &oathtool(&secret, 8 * 24 * 3600))],
    )
    .await;
    assert_eq!(
        mara.get("/customers").await.status(),
        200,
        "back once the second step is done"
    );
}

/// Managing roles needs the second step within the last 15 minutes; the prompt returns the
/// person to the form with what they had typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_second_step_is_asked_again_before_changing_a_role() {
    let clock = helpers::TestClock::new();
    let app = helpers::spawn_app_with_clock(helpers::Backend::Sqlite, clock.clone())
        .await
        .unwrap();
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let (secret, _, _) = enrol(&app).await;
    let created = post(
        &app,
        "/api/roles/create",
        &[
            ("form[name]", "Readers"),
            ("form[permissions][]", "ticket.view"),
        ],
    )
    .await;
    let role_path = location(&created).unwrap();
    assert!(
        role_path.starts_with("/roles/"),
        "fresh from enrolment: no prompt"
    );
    let id = role_path.rsplit('/').next().unwrap().to_owned();

    clock.advance(chrono::Duration::minutes(20));
    let edit = post(
        &app,
        "/api/roles/update",
        &[
            ("id", &id),
            ("form[name]", "Renamed readers"),
            ("form[permissions][]", "ticket.view"),
        ],
    )
    .await;
    assert_eq!(location(&edit), Some(format!("/step-up?back={role_path}")));
    let stored = app::server::entities::role::Entity::find_by_id(id.parse::<i64>().unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "Readers", "nothing changed before the step-up");

    let page = app.get_text(&format!("/step-up?back={role_path}")).await;
    let token = extract_csrf(&page).unwrap();
    let passed = app
        .post_form(
            "/api/step_up",
            &[
                ("csrf_token", &token),
                ("code", &oathtool(&secret, 20 * 60)),
                ("back", &role_path),
            ],
        )
        .await;
    assert_eq!(location(&passed), Some(role_path.clone()));
    let form = app.get_text(&role_path).await;
    assert!(
        form.contains("value=\"Renamed readers\""),
        "what was typed is back"
    );
    assert!(form.contains("Second factor confirmed."));
    let saved = post(
        &app,
        "/api/roles/update",
        &[
            ("id", &id),
            ("form[name]", "Renamed readers"),
            ("form[permissions][]", "ticket.view"),
        ],
    )
    .await;
    assert_eq!(location(&saved), Some(role_path));

    // New recovery codes are a factor in themselves: they need a fresh second step too.
    clock.advance(chrono::Duration::minutes(20));
    let regenerate = post(&app, "/api/me/recovery/regenerate", &[]).await;
    assert_eq!(
        location(&regenerate).as_deref(),
        Some("/step-up?back=/security")
    );
}

/// Calls a server function the way the page's script does (JSON answers, status codes).
async fn call(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let token = app.csrf("/security").await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    let response = app
        .client
        .post(app.url(path))
        .header("accept", "application/json")
        .form(&all)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn passkey_registration_checks_its_input_and_leaves_nothing_half_done(app: TestApp) {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    assert!(app.get_text("/security").await.contains("No passkeys yet."));

    let (status, body) = call(&app, "/api/me/passkeys/begin", &[("name", "  ")]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Name the passkey"), "{body}");

    // The options name this console (localhost) and the person, with a fresh challenge.
    let (status, body) = call(&app, "/api/me/passkeys/begin", &[("name", "Work laptop")]).await;
    assert_eq!(status, 200, "{body}");
    let options: serde_json::Value =
        serde_json::from_str(&serde_json::from_str::<String>(&body).unwrap()).unwrap();
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(options["publicKey"]["user"]["name"], "admin@acme.test");
    assert!(options["publicKey"]["challenge"].as_str().unwrap().len() >= 43);

    // A forged or garbled answer is refused, and the ceremony cannot be replayed.
    let (status, body) = call(
        &app,
        "/api/me/passkeys/finish",
        &[("credential", "{\"id\":\"x\"}")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("could not be read"), "{body}");
    let (status, body) = call(&app, "/api/me/passkeys/finish", &[("credential", "{}")]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("Start adding the passkey again"), "{body}");

    // Without a passkey there is nothing to check against; signed out, nothing at all.
    let (status, body) = call(&app, "/api/passkey/begin", &[]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("You have no passkey"), "{body}");
    let stranger = app.other_browser();
    let token = stranger.csrf("/login").await;
    let response = stranger
        .client
        .post(stranger.url("/api/passkey/begin"))
        .header("accept", "application/json")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);

    assert!(app.get_text("/security").await.contains("No passkeys yet."));
    assert!(!actions(&app, admin.org_id)
        .await
        .iter()
        .any(|a| a.starts_with("mfa.enrolled")));
}

on_both_databases!(
    passkey_registration_checks_its_input_and_leaves_nothing_half_done,
    an_app_code_becomes_the_second_step_and_is_accepted_once,
    recovery_codes_work_once_each,
    ten_wrong_codes_lock_the_second_step,
    removing_the_app_needs_the_password_and_an_admin_can_reset,
);
