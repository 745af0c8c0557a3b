//! The audit log: combined filters, the event page's comparison, streamed exports that are
//! themselves audited, who may read and export, and tampering by swapping rows.

mod helpers;

use app::server::entities::audit_event;
use app::server::services::audit::verify_chain;
use helpers::{TestApp, ADMIN_PASSWORD};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// An organisation with a signed-in administrator, two people added, a wrong password for
/// one of them, and a member (Mia) without audit permissions.
async fn busy_org(app: &TestApp) -> app::server::Principal {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    app.create_person("Zoë Quinn", "zoe@acme.test", "zoe's long password")
        .await;
    app.create_person("Mia Member", "mia@acme.test", "mia's long password")
        .await;
    let stranger = app.other_browser();
    stranger
        .sign_in("acme", "zoe@acme.test", "not her password at all")
        .await;
    admin
}

fn rows(page: &str) -> usize {
    page.matches("aria-label=\"Event ").count()
}

async fn combined_filters_find_exactly_the_matching_events(app: TestApp) {
    busy_org(&app).await;
    let all = app.get_text("/audit").await;
    assert!(rows(&all) >= 5, "{all}");

    let created = app.get_text("/audit?action=user.created").await;
    assert_eq!(rows(&created), 2);
    assert!(created.contains("zoe@acme.test") && created.contains("mia@acme.test"));

    // Category, words and actor together.
    let zoe = app
        .get_text("/audit?action=user&q=ZOE&actor=admin%40acme.test")
        .await;
    assert_eq!(rows(&zoe), 1, "{zoe}");
    assert!(zoe.contains("zoe@acme.test") && !zoe.contains("mia@acme.test"));

    let failed = app.get_text("/audit?outcome=failure&action=auth").await;
    assert_eq!(rows(&failed), 1, "{failed}");
    assert!(failed.contains("zoe@acme.test"));

    let target = app
        .get_text("/audit?target_type=user&client=127.0.0.1&outcome=success")
        .await;
    assert!(rows(&target) >= 2);

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let in_range = app
        .get_text(&format!("/audit?from={today}&to={today}"))
        .await;
    assert_eq!(rows(&in_range), rows(&all));
    let long_ago = app.get_text("/audit?from=2001-01-01&to=2001-01-02").await;
    assert_eq!(rows(&long_ago), 0);
    assert!(long_ago.contains("No events match these filters."));

    let unreadable = app.get_text("/audit?from=yesterday&action=nonsense").await;
    assert!(
        unreadable.contains("Some filters could not be read"),
        "{unreadable}"
    );
    assert!(unreadable.contains("Use a date like"));
}

async fn an_event_page_shows_what_changed(app: TestApp) {
    let admin = busy_org(&app).await;
    let person = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("user.created"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let page = app.get_text(&format!("/audit/{}", person.seq)).await;
    assert!(page.contains("What changed"), "{page}");
    assert!(page.contains("diff-added"), "{page}");
    assert!(page.contains(&person.hash));
    assert!(page.contains(&format!("/people/{}", person.target_id.unwrap())));
}

async fn exports_stream_every_matching_event_and_are_audited(app: TestApp) {
    let admin = busy_org(&app).await;
    let response = app.get("/audit/export.ndjson?action=user.created").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"audit-acme-"));
    let body = response.text().await.unwrap();
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0]["seq"].as_i64() > lines[1]["seq"].as_i64(),
        "newest first"
    );
    assert_eq!(lines[0]["action"], "user.created");
    assert!(lines[0]["after"].is_object());

    let csv = app.get_text("/audit/export.csv").await;
    let mut csv_lines = csv.split("\r\n").filter(|l| !l.is_empty());
    let header = csv_lines.next().unwrap_or_default();
    assert!(header.starts_with("seq,occurred_at,actor_id"), "{csv}");
    // Every event, including the first export's own record.
    let stored = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(csv_lines.count(), stored.len());
    let exports: Vec<_> = stored
        .iter()
        .filter(|e| e.action == "audit.exported")
        .collect();
    assert_eq!(exports.len(), 2, "both exports are audited");
    assert!(exports[0]
        .after_json
        .as_deref()
        .unwrap()
        .contains("action=user.created"));
}

async fn people_without_audit_permissions_can_neither_read_nor_export(app: TestApp) {
    busy_org(&app).await;
    let mia = app.other_browser();
    mia.sign_in_ok("acme", "mia@acme.test", "mia's long password")
        .await;
    let page = mia.get_text("/audit").await;
    assert_eq!(rows(&page), 0);
    assert!(page.contains("You do not have access to this page"));
    assert_eq!(mia.get("/audit/export.csv").await.status(), 403);
    assert_eq!(mia.get("/audit/1").await.status().as_u16(), 403);
    assert!(!mia.get_text("/audit/1").await.contains("What changed"));
    // Signed out: nothing, and no export.
    let nobody = app.other_browser();
    let response = nobody.get("/audit/export.ndjson").await;
    assert_ne!(response.status(), 200);
}

async fn swapped_rows_are_found_at_their_position(app: TestApp) {
    let admin = busy_org(&app).await;
    let mut events = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .all(&app.state.db)
        .await
        .unwrap();
    events.sort_by_key(|e| e.seq);
    let (a, b) = (events[2].clone(), events[3].clone());
    // Swap their places in the chain: each row takes the other's sequence number.
    for (row, seq) in [(&a, -1), (&b, a.seq), (&a, b.seq)] {
        audit_event::Entity::update_many()
            .col_expr(
                audit_event::Column::Seq,
                sea_orm::sea_query::Expr::value(seq),
            )
            .filter(audit_event::Column::Id.eq(row.id))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    let report = verify_chain(&app.state.db, admin.org_id).await.unwrap();
    let broken = report.first_break.expect("a swap is detected");
    assert_eq!(broken.seq, a.seq, "{broken:?}");
}

/// Starts a verification from the console and waits for its result on the integrity page.
async fn verify_from_console(app: &TestApp) -> String {
    let token = app.csrf("/audit/integrity").await;
    let response = app
        .post_form("/api/audit/verify", &[("csrf_token", token.as_str())])
        .await;
    assert_eq!(
        helpers::location(&response).as_deref(),
        Some("/audit/integrity")
    );
    for _ in 0..100 {
        let page = app.get_text("/audit/integrity").await;
        if page.contains("id=\"verify-result\"") {
            return page;
        }
        assert!(
            page.contains("http-equiv=\"refresh\""),
            "a running check refreshes itself"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the verification did not finish");
}

async fn the_console_verifies_the_chain_and_shows_where_it_breaks(app: TestApp) {
    let admin = busy_org(&app).await;
    let page = verify_from_console(&app).await;
    assert!(page.contains("Intact: all"), "{page}");

    let victim = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("user.created"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    audit_event::Entity::update_many()
        .col_expr(
            audit_event::Column::TargetLabel,
            sea_orm::sea_query::Expr::value("someone-else@acme.test"),
        )
        .filter(audit_event::Column::Id.eq(victim.id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let page = verify_from_console(&app).await;
    assert!(
        page.contains(&format!("The chain breaks at event {}", victim.seq)),
        "{page}"
    );
    assert!(page.contains("the row was edited"));
    // Each verification is itself on the record, with its outcome.
    let verified: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("audit.verified"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(verified, ["success", "failure"]);
}

on_both_databases!(
    the_console_verifies_the_chain_and_shows_where_it_breaks,
    combined_filters_find_exactly_the_matching_events,
    an_event_page_shows_what_changed,
    exports_stream_every_matching_event_and_are_audited,
    people_without_audit_permissions_can_neither_read_nor_export,
    swapped_rows_are_found_at_their_position,
);
