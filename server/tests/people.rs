//! People: create, validation, suspend, bulk suspend, permissions and the audit chain.

mod helpers;

use app::server::entities::audit_event;
use app::server::services::audit::verify_chain;
use helpers::{location, TestApp, ADMIN_PASSWORD};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

async fn signed_in_admin(app: &TestApp) -> app::server::Principal {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    admin
}

async fn creating_a_person_shows_them_with_literal_html(app: TestApp) {
    signed_in_admin(&app).await;
    let name = "<b>Zoë O'Brien</b> & \"Co\"; DROP TABLE users;--";
    let response = app.create_person(name, "zoe@acme.test", "").await;
    let path = location(&response).unwrap();
    assert!(path.starts_with("/people/"), "{path}");
    let page = app.get_text(&path).await;
    assert!(
        page.contains("&lt;b&gt;Zoë O&#x27;Brien&lt;/b&gt;")
            || page.contains("&lt;b&gt;Zoë O'Brien&lt;/b&gt;"),
        "name is escaped"
    );
    assert!(!page.contains("<b>Zoë"));
    assert!(page.contains("was added."));
}

async fn a_duplicate_email_keeps_what_was_typed(app: TestApp) {
    signed_in_admin(&app).await;
    app.create_person("Ana Ruiz", "ana@acme.test", "").await;
    let response = app.create_person("Ana Second", "ANA@acme.test", "").await;
    assert_eq!(location(&response).as_deref(), Some("/people/new"));
    let form = app.get_text("/people/new").await;
    assert!(form.contains("Someone in your organisation already has this email."));
    assert!(
        form.contains("value=\"Ana Second\""),
        "the typed name is kept"
    );
}

async fn invalid_fields_are_all_reported(app: TestApp) {
    signed_in_admin(&app).await;
    let token = app.csrf("/people/new").await;
    let long = "x".repeat(300);
    let response = app
        .post_form(
            "/api/people/create",
            &[
                ("csrf_token", &token),
                ("form[display_name]", &long),
                ("form[email]", "not-an-email"),
                ("form[region]", "Mars"),
                ("initial_password", "short"),
            ],
        )
        .await;
    assert_eq!(location(&response).as_deref(), Some("/people/new"));
    let form = app.get_text("/people/new").await;
    for message in [
        "A name has at most 120 characters.",
        "Enter an email address like",
        "Choose one of",
        "Use at least 12 characters.",
    ] {
        assert!(form.contains(message), "missing: {message}");
    }
    assert!(form.contains("value=\"not-an-email\""));
}

async fn suspending_a_person_ends_their_sessions_at_once(app: TestApp) {
    signed_in_admin(&app).await;
    let created = app
        .create_person("Sam Agent", "sam@acme.test", "sam's long password")
        .await;
    let path = location(&created).unwrap();
    let id = path.trim_start_matches("/people/").to_owned();
    let sam = app.other_browser();
    sam.sign_in_ok("acme", "sam@acme.test", "sam's long password")
        .await;
    assert_eq!(sam.get("/").await.status(), 200);

    let token = app.csrf(&format!("/people/suspend?id={id}")).await;
    let response = app
        .post_form(
            "/api/people/suspend",
            &[("csrf_token", &token), ("ids", &id)],
        )
        .await;
    assert_eq!(location(&response).as_deref(), Some(path.as_str()));
    assert!(app
        .get_text(&path)
        .await
        .contains("1 person was suspended and signed out."));

    let after = sam.get("/").await;
    assert_eq!(after.status(), 303, "Sam's session ended");
    let again = sam
        .sign_in("acme", "sam@acme.test", "sam's long password")
        .await;
    assert_eq!(location(&again).as_deref(), Some("/login"));
    assert!(sam
        .get_text("/login")
        .await
        .contains("This account is suspended."));
}

async fn bulk_suspend_changes_every_selected_person_in_one_step(app: TestApp) {
    signed_in_admin(&app).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let created = app
            .create_person(&format!("Bulk {n}"), &format!("bulk{n}@acme.test"), "")
            .await;
        ids.push(
            location(&created)
                .unwrap()
                .trim_start_matches("/people/")
                .to_owned(),
        );
    }
    let list = ids.join(",");
    let confirm = app.get_text(&format!("/people/suspend?ids={list}")).await;
    assert!(confirm.contains("Suspend 3 people"));
    let token = helpers::extract_csrf(&confirm).unwrap();
    let response = app
        .post_form(
            "/api/people/suspend",
            &[("csrf_token", &token), ("ids", &list)],
        )
        .await;
    assert_eq!(location(&response).as_deref(), Some("/people"));
    let page = app.get_text("/people?status=suspended").await;
    assert!(page.contains("3 people were suspended and signed out."));
    for n in 0..3 {
        assert!(page.contains(&format!("bulk{n}@acme.test")));
    }
}

async fn a_member_without_permission_is_refused_and_the_attempt_is_audited(app: TestApp) {
    let admin = signed_in_admin(&app).await;
    app.create_person("Mia Member", "mia@acme.test", "mia's long password")
        .await;
    let mia = app.other_browser();
    mia.sign_in_ok("acme", "mia@acme.test", "mia's long password")
        .await;
    let token = mia.csrf("/").await;
    let response = mia
        .client
        .post(mia.url("/api/people/create"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("form[display_name]", "Sneaky"),
            ("form[email]", "sneaky@acme.test"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(!app.get_text("/people").await.contains("sneaky@acme.test"));
    let denied = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("authz.denied"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(denied
        .iter()
        .any(|e| e.actor_label == "mia@acme.test" && e.outcome == "denied"));
    // The list is refused too, not just hidden.
    let list = mia.get_text("/people").await;
    assert!(list.contains("You do not have access to this page"));
    assert!(!list.contains("admin@acme.test"));
}

async fn people_list_pages_with_a_cursor_and_searches_by_prefix(app: TestApp) {
    signed_in_admin(&app).await;
    for n in 0..55 {
        app.create_person(
            &format!("Page Person {n:02}"),
            &format!("page{n:02}@acme.test"),
            "",
        )
        .await;
    }
    let first = app.get_text("/people?q=page").await;
    assert!(first.contains("page00@acme.test"));
    assert!(!first.contains("page54@acme.test"));
    let marker = "href=\"/people?q=page&amp;cursor=";
    let start = first.find(marker).expect("a next-page link") + "href=\"".len();
    let end = first[start..].find('"').unwrap() + start;
    let next = first[start..end].replace("&amp;", "&");
    let second = app.get_text(&next).await;
    assert!(second.contains("page54@acme.test"));
    assert!(!second.contains("page00@acme.test"));
    let by_email = app.get_text("/people?q=page07%40").await;
    assert!(by_email.contains("page07@acme.test"));
    assert!(!by_email.contains("page08@acme.test"));
}

async fn every_change_is_chained_and_tampering_is_detected(app: TestApp) {
    let admin = signed_in_admin(&app).await;
    app.create_person("Chain One", "one@acme.test", "").await;
    app.create_person("Chain Two", "two@acme.test", "").await;
    let db = &app.state.db;
    let report = verify_chain(db, admin.org_id).await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
    assert!(report.events >= 5);

    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .unwrap();
    let created = events.iter().find(|e| e.action == "user.created").unwrap();
    assert!(created
        .after_json
        .as_deref()
        .unwrap()
        .contains("one@acme.test"));

    // Edit a row.
    db.execute_unprepared(&format!(
        "UPDATE audit_events SET actor_label = 'someone else' WHERE id = {}",
        created.id
    ))
    .await
    .unwrap();
    let report = verify_chain(db, admin.org_id).await.unwrap();
    assert_eq!(
        report.first_break.as_ref().map(|b| b.seq),
        Some(created.seq)
    );
    assert!(report.first_break.unwrap().reason.contains("edited"));
    db.execute_unprepared(&format!(
        "UPDATE audit_events SET actor_label = '{}' WHERE id = {}",
        created.actor_label, created.id
    ))
    .await
    .unwrap();
    assert!(verify_chain(db, admin.org_id)
        .await
        .unwrap()
        .first_break
        .is_none());

    // Swap two rows' positions.
    let (a, b) = (&events[1], &events[2]);
    db.execute_unprepared(&format!(
        "UPDATE audit_events SET seq = -1 WHERE id = {}",
        a.id
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE audit_events SET seq = {} WHERE id = {}",
        a.seq, b.id
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE audit_events SET seq = {} WHERE id = {}",
        b.seq, a.id
    ))
    .await
    .unwrap();
    let report = verify_chain(db, admin.org_id).await.unwrap();
    assert_eq!(report.first_break.map(|b| b.seq), Some(a.seq));
    db.execute_unprepared(&format!(
        "UPDATE audit_events SET seq = -1 WHERE id = {}",
        a.id
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE audit_events SET seq = {} WHERE id = {}",
        b.seq, b.id
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE audit_events SET seq = {} WHERE id = {}",
        a.seq, a.id
    ))
    .await
    .unwrap();
    assert!(verify_chain(db, admin.org_id)
        .await
        .unwrap()
        .first_break
        .is_none());

    // Delete a row in the middle, then the last one.
    db.execute_unprepared(&format!(
        "DELETE FROM audit_events WHERE id = {}",
        events[2].id
    ))
    .await
    .unwrap();
    let report = verify_chain(db, admin.org_id).await.unwrap();
    assert_eq!(
        report.first_break.as_ref().map(|b| b.seq),
        Some(events[2].seq)
    );
    assert!(report.first_break.unwrap().reason.contains("missing"));
}

async fn deleting_the_newest_events_is_detected(app: TestApp) {
    let admin = signed_in_admin(&app).await;
    app.create_person("Tail", "tail@acme.test", "").await;
    let db = &app.state.db;
    let last = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .order_by_desc(audit_event::Column::Seq)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    db.execute_unprepared(&format!("DELETE FROM audit_events WHERE id = {}", last.id))
        .await
        .unwrap();
    let report = verify_chain(db, admin.org_id).await.unwrap();
    assert_eq!(report.first_break.map(|b| b.seq), Some(last.seq));
}

async fn deleting_the_chain_head_is_detected(app: TestApp) {
    let admin = signed_in_admin(&app).await;
    let db = &app.state.db;
    db.execute_unprepared(&format!(
        "DELETE FROM audit_heads WHERE org_id = {}",
        admin.org_id
    ))
    .await
    .unwrap();
    let report = verify_chain(db, admin.org_id).await.unwrap();
    assert!(report
        .first_break
        .unwrap()
        .reason
        .contains("head is missing"));
}

on_both_databases!(
    deleting_the_chain_head_is_detected,
    creating_a_person_shows_them_with_literal_html,
    a_duplicate_email_keeps_what_was_typed,
    invalid_fields_are_all_reported,
    suspending_a_person_ends_their_sessions_at_once,
    bulk_suspend_changes_every_selected_person_in_one_step,
    a_member_without_permission_is_refused_and_the_attempt_is_audited,
    people_list_pages_with_a_cursor_and_searches_by_prefix,
    every_change_is_chained_and_tampering_is_detected,
    deleting_the_newest_events_is_detected,
);
