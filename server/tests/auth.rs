//! Sign-in, sessions, CSRF, throttling and security headers, through HTTP.

mod helpers;

use helpers::{location, TestApp, ADMIN_PASSWORD};

async fn health_endpoints_answer(app: TestApp) {
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

async fn pages_need_a_signed_in_user(app: TestApp) {
    let response = app.get("/people").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response).as_deref(), Some("/login"));
}

async fn login_page_sends_security_headers(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    let response = app.get("/login").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    let csp = headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(headers.get("referrer-policy").unwrap(), "same-origin");
    let cookie = headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    // Every inline script carries the nonce of the policy.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_owned();
    let html = response.text().await.unwrap();
    for script in html.split("<script").skip(1) {
        assert!(
            script.starts_with(&format!(" nonce=\"{nonce}\""))
                || script.contains(&format!("nonce=\"{nonce}\"")),
            "script without nonce: {}",
            &script[..script.len().min(80)]
        );
    }
}

async fn sign_in_rotates_the_session_and_shows_the_dashboard(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    let login = app.get("/login").await;
    let before = login
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = login.text().await.unwrap();
    let token = helpers::extract_csrf(&html).unwrap();
    let response = app
        .post_form(
            "/api/sign_in",
            &[
                ("csrf_token", &token),
                ("org", "acme"),
                ("email", "Admin@Acme.test"),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&response).as_deref(), Some("/"));
    let after = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(before, after, "the session id must change at sign-in");
    let dashboard = app.get_text("/").await;
    assert!(dashboard.contains("Dashboard"));
    assert!(
        dashboard.contains("signed in"),
        "recent activity lists the sign-in"
    );
}

async fn wrong_password_and_unknown_account_get_the_same_message(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    for email in ["admin@acme.test", "nobody@acme.test"] {
        let browser = app.other_browser();
        let response = browser.sign_in("acme", email, "wrong password here").await;
        assert_eq!(location(&response).as_deref(), Some("/login"));
        let page = browser.get_text("/login").await;
        assert!(
            page.contains("The email or password is incorrect."),
            "{email}"
        );
        assert!(
            page.contains(&format!("value=\"{email}\"")),
            "the typed email is kept"
        );
    }
}

async fn repeated_failures_lock_the_account(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    for _ in 0..5 {
        app.sign_in("acme", "admin@acme.test", "not the password")
            .await;
    }
    let response = app.sign_in("acme", "admin@acme.test", ADMIN_PASSWORD).await;
    assert_eq!(
        location(&response).as_deref(),
        Some("/login"),
        "even the right password is refused while locked"
    );
    assert!(app
        .get_text("/login")
        .await
        .contains("Too many failed sign-in attempts"));
}

async fn a_post_without_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let response = app
        .post_form(
            "/api/people/create",
            &[
                ("form[display_name]", "Eve"),
                ("form[email]", "eve@acme.test"),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = app
        .post_form(
            "/api/people/create",
            &[
                ("form[display_name]", "Eve"),
                ("form[email]", "eve@acme.test"),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);
    assert!(!app.get_text("/people").await.contains("eve@acme.test"));
}

async fn sign_out_ends_the_session(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let token = app.csrf("/").await;
    let response = app
        .post_form("/api/sign_out", &[("csrf_token", &token)])
        .await;
    assert_eq!(location(&response).as_deref(), Some("/login?signed_out=1"));
    assert_eq!(app.get("/").await.status(), 303);
}

async fn a_session_from_another_organisation_sees_nothing_of_this_one(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    app.admin("globex", "admin@globex.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let created = app.create_person("Acme Only", "only@acme.test", "").await;
    let person_path = location(&created).unwrap();
    let other = app.other_browser();
    other
        .sign_in_ok("globex", "admin@globex.test", ADMIN_PASSWORD)
        .await;
    assert!(!other.get_text("/people").await.contains("only@acme.test"));
    let page = other.get_text(&person_path).await;
    assert!(!page.contains("only@acme.test"));
    assert!(page.contains("Not found"));
}

async fn control_characters_get_a_plain_answer_not_an_error(app: TestApp) {
    app.admin("acme", "admin@acme.test").await;
    for (org, email) in [
        ("acme", "admin\u{0}@acme.test"),
        ("ac\u{0}me", "admin@acme.test"),
    ] {
        let browser = app.other_browser();
        let response = browser.sign_in(org, email, "whatever it is").await;
        assert_eq!(location(&response).as_deref(), Some("/login"));
        assert!(browser
            .get_text("/login")
            .await
            .contains("The email or password is incorrect."));
    }
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    let list = app.get("/people?q=ad%00min").await;
    assert_eq!(list.status(), 200);
    let bad_cursor = app.get("/people?cursor=WyJhXHUwMDAwYiIsMV0").await;
    assert!(bad_cursor.text().await.unwrap().contains("no longer valid"));
}

on_both_databases!(
    control_characters_get_a_plain_answer_not_an_error,
    health_endpoints_answer,
    pages_need_a_signed_in_user,
    login_page_sends_security_headers,
    sign_in_rotates_the_session_and_shows_the_dashboard,
    wrong_password_and_unknown_account_get_the_same_message,
    repeated_failures_lock_the_account,
    a_post_without_csrf_token_is_refused_and_changes_nothing,
    sign_out_ends_the_session,
    a_session_from_another_organisation_sees_nothing_of_this_one,
);
