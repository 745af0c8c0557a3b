//! Operating the audit log: signed checkpoints that catch a rewritten history, retention with
//! archives that verification walks across, SIEM webhooks that lose nothing while the receiver
//! is down, and alerts on unusual activity, with who may do what.

mod helpers;

use app::domain::audit::{AuditAction, Outcome};
use app::server::entities::{
    alert, audit_archive, audit_checkpoint, audit_event, audit_head, role, webhook_sink,
};
use app::server::services::audit::{event_hash, verify_chain, Actor, AuditedTxn, NewEvent, Target};
use app::server::services::{checkpoint, jobs, retention, webhooks};
use helpers::{location, TestApp, TestClock, ADMIN_PASSWORD};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

async fn post(app: &TestApp, page: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = app.csrf(page).await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    app.post_form(path, &all).await
}

async fn org_with_admin(app: &TestApp) -> app::server::Principal {
    let admin = app.admin("acme", "admin@acme.test").await;
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    admin
}

async fn verify_all(app: &TestApp, org_id: i64) -> app::server::services::audit::ChainReport {
    checkpoint::verify_organisation(
        &app.state.db,
        org_id,
        &app.state.audit_signing_key.verifying_key(),
        &[],
        Some(app.state.audit.archive_dir.as_path()),
        &|_| {},
    )
    .await
    .unwrap()
}

async fn head_seq(app: &TestApp, org_id: i64) -> i64 {
    audit_head::Entity::find_by_id(org_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .seq
}

/// Recomputes every hash from `from_seq` on, as someone with write access to the database
/// would after editing an event, so that the chain links up again.
async fn rechain_from(app: &TestApp, org_id: i64, from_seq: i64) {
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(org_id))
        .filter(audit_event::Column::Seq.gte(from_seq - 1))
        .order_by_asc(audit_event::Column::Seq)
        .all(&app.state.db)
        .await
        .unwrap();
    let mut prev = events[0].hash.clone();
    for mut event in events.into_iter().skip(1) {
        event.prev_hash = prev.clone();
        event.hash = event_hash(&event);
        prev = event.hash.clone();
        let mut active = event.clone().into_active_model();
        active.prev_hash = sea_orm::ActiveValue::Set(event.prev_hash.clone());
        active.hash = sea_orm::ActiveValue::Set(event.hash.clone());
        active.update(&app.state.db).await.unwrap();
    }
    let mut head = audit_head::Entity::find_by_id(org_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    head.hash = sea_orm::ActiveValue::Set(prev);
    head.update(&app.state.db).await.unwrap();
}

async fn a_rewritten_history_is_caught_by_its_signed_checkpoint(app: TestApp) {
    let admin = org_with_admin(&app).await;
    app.create_person("Zoë Quinn", "zoe@acme.test", "zoe's long password")
        .await;
    let response = post(&app, "/audit/integrity", "/api/audit/checkpoints/sign", &[]).await;
    assert_eq!(location(&response).as_deref(), Some("/audit/integrity"));
    let signed = audit_checkpoint::Entity::find()
        .filter(audit_checkpoint::Column::OrgId.eq(admin.org_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("a checkpoint");
    // The export carries the checkpoint and the key that verifies it, and is itself audited.
    let export: checkpoint::CheckpointExport = app
        .get("/audit/checkpoints.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(export.checkpoints.len(), 1);
    assert_eq!(export.checkpoints[0].seq, signed.seq);
    assert!(export.checkpoints[0].signature_holds(&app.state.audit_signing_key.verifying_key()));
    let page = app.get_text("/audit/integrity").await;
    assert!(
        page.contains("Signed checkpoints") && page.contains("Valid"),
        "{page}"
    );
    assert!(verify_all(&app, admin.org_id).await.first_break.is_none());

    // Edit Zoë's creation and recompute every later hash: the chain alone looks intact…
    let victim = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("user.created"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(victim.seq <= signed.seq, "{victim:?} {signed:?}");
    let mut edited = victim.clone().into_active_model();
    edited.target_label = sea_orm::ActiveValue::Set(Some("nobody@acme.test".into()));
    edited.update(&app.state.db).await.unwrap();
    rechain_from(&app, admin.org_id, victim.seq).await;
    assert!(verify_chain(&app.state.db, admin.org_id)
        .await
        .unwrap()
        .first_break
        .is_none());
    // …but not against the checkpoint signed before the edit.
    let report = verify_all(&app, admin.org_id).await;
    let broken = report.first_break.expect("the rewrite is found");
    assert_eq!(broken.seq, signed.seq);
    assert!(broken.reason.contains("was rewritten"), "{}", broken.reason);

    // Moving the checkpoint to the new hash breaks its signature.
    let mut forged = signed.clone().into_active_model();
    let new_hash = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Seq.eq(signed.seq))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .hash;
    forged.hash = sea_orm::ActiveValue::Set(new_hash);
    forged.update(&app.state.db).await.unwrap();
    let report = verify_all(&app, admin.org_id).await;
    assert!(report
        .first_break
        .expect("a forged checkpoint")
        .reason
        .contains("does not carry a valid signature"));

    // Deleting the checkpoints does not help either: the exported copy still vouches.
    audit_checkpoint::Entity::delete_many()
        .filter(audit_checkpoint::Column::OrgId.eq(admin.org_id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let report = checkpoint::verify_organisation(
        &app.state.db,
        admin.org_id,
        &app.state.audit_signing_key.verifying_key(),
        &export.checkpoints,
        None,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.first_break.expect("still found").seq, signed.seq);
}

async fn checkpoints_are_signed_once_a_day(app: TestApp, clock: Arc<TestClock>) {
    let admin = org_with_admin(&app).await;
    assert_eq!(checkpoint::sign_due(&app.state).await.unwrap(), 1);
    assert_eq!(
        checkpoint::sign_due(&app.state).await.unwrap(),
        0,
        "not due again today"
    );
    clock.advance(chrono::Duration::hours(25));
    assert_eq!(
        checkpoint::sign_due(&app.state).await.unwrap(),
        0,
        "nothing happened since"
    );
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    assert_eq!(checkpoint::sign_due(&app.state).await.unwrap(), 1);
    let signed: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("audit.checkpoint_signed"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.actor_label)
        .collect();
    assert_eq!(signed.len(), 2);
    assert!(verify_all(&app, admin.org_id).await.first_break.is_none());
}

async fn set_retention(app: &TestApp, days: &str) -> reqwest::Response {
    post(
        app,
        "/audit/settings",
        "/api/audit/settings/update",
        &[
            ("form[retention_days]", days),
            ("form[hours_start]", "8"),
            ("form[hours_end]", "18"),
        ],
    )
    .await
}

async fn retention_archives_old_events_and_verification_spans_the_archive(
    app: TestApp,
    clock: Arc<TestClock>,
) {
    let admin = org_with_admin(&app).await;
    app.create_person("Zoë Quinn", "zoe@acme.test", "zoe's long password")
        .await;
    // A period that is too short is refused with the typed value kept.
    let response = set_retention(&app, "5").await;
    assert_eq!(location(&response).as_deref(), Some("/audit/settings"));
    let page = app.get_text("/audit/settings").await;
    assert!(page.contains("between 30 and 3,650 days"), "{page}");
    assert!(page.contains("value=\"5\""));
    let response = set_retention(&app, "30").await;
    assert_eq!(location(&response).as_deref(), Some("/audit/settings"));
    assert_eq!(
        retention::archive_due(&app.state).await.unwrap(),
        0,
        "nothing is old yet"
    );
    let old_head = head_seq(&app, admin.org_id).await;
    clock.advance(chrono::Duration::days(40));
    // The administrator has had no second factor for 40 days: give them time to set one up.
    let mut org = app::server::entities::organisation::Entity::find_by_id(admin.org_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    org.mfa_grace_days = sea_orm::ActiveValue::Set(365);
    org.update(&app.state.db).await.unwrap();
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;

    assert_eq!(retention::archive_due(&app.state).await.unwrap(), 1);
    let archive = audit_archive::Entity::find()
        .filter(audit_archive::Column::OrgId.eq(admin.org_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("an archive");
    assert_eq!((archive.first_seq, archive.last_seq), (1, old_head));
    let left_behind = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Seq.lte(old_head))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(left_behind.is_empty(), "archived events leave the database");
    assert_eq!(
        retention::archive_due(&app.state).await.unwrap(),
        0,
        "nothing more is due"
    );

    // The chain continues in the database from the archive's last hash, and the whole history
    // verifies across the boundary.
    assert!(verify_chain(&app.state.db, admin.org_id)
        .await
        .unwrap()
        .first_break
        .is_none());
    let report = verify_all(&app, admin.org_id).await;
    assert!(report.first_break.is_none(), "{report:?}");
    assert_eq!(
        report.events,
        u64::try_from(head_seq(&app, admin.org_id).await).unwrap()
    );
    let page = app.get_text("/audit/integrity").await;
    assert!(page.contains(&archive.file_name), "{page}");
    let archived = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("audit.archived"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("archiving is audited");
    assert!(archived.after_json.unwrap().contains(&archive.file_sha256));

    // A replaced archive file is found, and so is a missing one.
    let path =
        retention::org_dir(&app.state.audit.archive_dir, admin.org_id).join(&archive.file_name);
    let original = std::fs::read(&path).unwrap();
    std::fs::write(&path, b"not the archive").unwrap();
    let broken = verify_all(&app, admin.org_id)
        .await
        .first_break
        .expect("found");
    assert!(
        broken.reason.contains("is not the file that was written"),
        "{}",
        broken.reason
    );
    std::fs::remove_file(&path).unwrap();
    let broken = verify_all(&app, admin.org_id)
        .await
        .first_break
        .expect("found");
    assert!(
        broken.reason.contains("cannot be read"),
        "{}",
        broken.reason
    );
    std::fs::write(&path, original).unwrap();
    assert!(verify_all(&app, admin.org_id).await.first_break.is_none());
}

/// A SIEM receiver on loopback that can be down (503) or up, and checks every signature.
struct Receiver {
    url: String,
    up: AtomicBool,
    attempts: AtomicUsize,
    bad_signatures: AtomicUsize,
    ids: Mutex<Vec<String>>,
    secret: Mutex<String>,
}

impl Receiver {
    async fn start() -> Arc<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Arc::new(Receiver {
            url: format!("http://{}/events", listener.local_addr().unwrap()),
            up: AtomicBool::new(false),
            attempts: AtomicUsize::new(0),
            bad_signatures: AtomicUsize::new(0),
            ids: Mutex::default(),
            secret: Mutex::default(),
        });
        let state = receiver.clone();
        let router = axum::Router::new().route(
            "/events",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let state = state.clone();
                    async move {
                        state.attempts.fetch_add(1, Ordering::SeqCst);
                        if !state.up.load(Ordering::SeqCst) {
                            return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                        }
                        let header = headers
                            .get(webhooks::SIGNATURE_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let (t, v1) = header.split_once(",v1=").unwrap_or_default();
                        let t: i64 = t.trim_start_matches("t=").parse().unwrap_or_default();
                        let secret = state.secret.lock().unwrap().clone();
                        if webhooks::signature(secret.as_bytes(), t, &body) != v1 {
                            state.bad_signatures.fetch_add(1, Ordering::SeqCst);
                            return axum::http::StatusCode::UNAUTHORIZED;
                        }
                        let delivery: webhooks::Delivery = serde_json::from_slice(&body).unwrap();
                        state
                            .ids
                            .lock()
                            .unwrap()
                            .extend(delivery.events.into_iter().map(|e| e.id));
                        axum::http::StatusCode::OK
                    }
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        receiver
    }
}

async fn a_receiver_that_was_down_gets_every_event_exactly_once_in_order(
    app: TestApp,
    clock: Arc<TestClock>,
) {
    let admin = org_with_admin(&app).await;
    let receiver = Receiver::start().await;
    let response = post(
        &app,
        "/audit/settings",
        "/api/audit/webhooks/create",
        &[
            ("form[name]", "SIEM"),
            ("form[url]", &receiver.url),
            ("form[events]", "all"),
            ("form[from_start]", "on"),
        ],
    )
    .await;
    assert_eq!(location(&response).as_deref(), Some("/audit/settings"));
    let page = app.get_text("/audit/settings").await;
    let secret = page
        .split("id=\"webhook-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret is shown once")
        .to_owned();
    *receiver.secret.lock().unwrap() = secret;
    assert!(
        !app.get_text("/audit/settings")
            .await
            .contains("webhook-secret"),
        "and only once"
    );
    app.create_person("Zoë Quinn", "zoe@acme.test", "zoe's long password")
        .await;

    // Down: nothing is accepted, and the next attempt waits.
    assert_eq!(webhooks::deliver_due(&app.state).await.unwrap(), 0);
    assert_eq!(receiver.attempts.load(Ordering::SeqCst), 1);
    assert_eq!(webhooks::deliver_due(&app.state).await.unwrap(), 0);
    assert_eq!(
        receiver.attempts.load(Ordering::SeqCst),
        1,
        "backoff is respected"
    );
    clock.advance(chrono::Duration::seconds(2));
    assert_eq!(webhooks::deliver_due(&app.state).await.unwrap(), 0);
    assert_eq!(receiver.attempts.load(Ordering::SeqCst), 2);
    let sink = webhook_sink::Entity::find()
        .filter(webhook_sink::Column::OrgId.eq(admin.org_id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sink.failures, 2);
    assert_eq!(
        sink.next_attempt_at,
        clock.now() + chrono::Duration::seconds(2)
    );
    assert!(sink.last_error.unwrap().contains("503"));
    assert!(app.get_text("/audit/settings").await.contains("Failing"));

    // Up again, an hour later: everything arrives, once, in order.
    app.create_person("Mia Member", "mia@acme.test", "mia's long password")
        .await;
    clock.advance(chrono::Duration::hours(1));
    receiver.up.store(true, Ordering::SeqCst);
    assert!(webhooks::deliver_due(&app.state).await.unwrap() > 0);
    assert_eq!(
        webhooks::deliver_due(&app.state).await.unwrap(),
        0,
        "nothing twice"
    );
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    assert!(webhooks::deliver_due(&app.state).await.unwrap() > 0);

    let head = head_seq(&app, admin.org_id).await;
    let expected: Vec<String> = (1..=head)
        .map(|seq| format!("{}:{seq}", admin.org_id))
        .collect();
    assert_eq!(*receiver.ids.lock().unwrap(), expected);
    assert_eq!(receiver.bad_signatures.load(Ordering::SeqCst), 0);
    let sink = webhook_sink::Entity::find_by_id(sink.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((sink.delivered_seq, sink.failures), (head, 0));
    assert!(sink.last_error.is_none());
}

async fn alerts_are_raised_once_shown_and_acknowledged(app: TestApp, clock: Arc<TestClock>) {
    let admin = org_with_admin(&app).await;
    app.create_person("Mia Member", "mia@acme.test", "mia's long password")
        .await;
    let attacker = app.other_browser();
    for _ in 0..10 {
        attacker
            .sign_in("acme", "mia@acme.test", "guessing the password")
            .await;
    }
    // The failed sign-ins, and the administrator made when the organisation was set up.
    let run = jobs::run_once(&app.state).await;
    assert_eq!(run.alerts, 2, "{run:?}");
    assert_eq!(jobs::run_once(&app.state).await.alerts, 0, "raised once");
    let page = app.get_text("/alerts").await;
    assert!(
        page.contains("Many failed sign-ins for one account"),
        "{page}"
    );
    assert!(page.contains("10 failed sign-ins for mia@acme.test"));
    let dashboard = app.get_text("/").await;
    assert!(
        dashboard.contains("Open alerts: 2") && dashboard.contains("<svg"),
        "{dashboard}"
    );
    assert!(dashboard.contains("Audit events per day") && dashboard.contains("Most active people"));

    // An administrator role given, and an admin change at night.
    let administrator = role::Entity::find()
        .filter(role::Column::OrgId.eq(admin.org_id))
        .filter(role::Column::Template.eq("administrator"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let role_id = administrator.id.to_string();
    let response = post(
        &app,
        &format!("/roles/{role_id}"),
        "/api/assignments/create",
        &[
            ("form[role_id]", &role_id),
            ("form[subject_kind]", "user"),
            ("form[subject]", "mia@acme.test"),
            ("form[ends_at]", ""),
            ("back", "/roles"),
        ],
    )
    .await;
    assert!(location(&response).is_some());
    clock.advance(chrono::Duration::hours(13));
    app.sign_in_ok("acme", "admin@acme.test", ADMIN_PASSWORD)
        .await;
    app.create_person("Nia Night", "nia@acme.test", "nia's long password")
        .await;
    jobs::run_once(&app.state).await;
    let kinds: Vec<String> = alert::Entity::find()
        .filter(alert::Column::OrgId.eq(admin.org_id))
        .order_by_asc(alert::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "administrator_granted",
            "failed_sign_ins_account",
            "administrator_granted",
            "after_hours_change"
        ]
    );
    let raised = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("alert.raised"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(raised.len(), 4, "each alert is an audit event");

    // Nia holds nothing: she can neither see nor acknowledge alerts, nor manage sinks.
    let nia = app.other_browser();
    nia.sign_in_ok("acme", "nia@acme.test", "nia's long password")
        .await;
    assert_eq!(nia.get("/alerts").await.status(), 403);
    assert_eq!(nia.get("/audit/settings").await.status(), 403);
    assert_eq!(nia.get("/audit/checkpoints.json").await.status(), 403);
    let token = nia.csrf("/profile").await;
    let refused = nia
        .post_form(
            "/api/alerts/acknowledge",
            &[("csrf_token", &token), ("ids", "1,2,3")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(jobs::run_once(&app.state).await.alerts, 0);

    let ids: Vec<String> = alert::Entity::find()
        .filter(alert::Column::OrgId.eq(admin.org_id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id.to_string())
        .collect();
    let response = post(
        &app,
        "/alerts",
        "/api/alerts/acknowledge",
        &[("ids", &ids.join(","))],
    )
    .await;
    assert_eq!(location(&response).as_deref(), Some("/alerts"));
    let page = app.get_text("/alerts").await;
    assert!(page.contains("4 alerts acknowledged"), "{page}");
    assert!(page.contains("No open alerts"));
    let acknowledged = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(admin.org_id))
        .filter(audit_event::Column::Action.eq("alert.acknowledged"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(acknowledged.len(), 4);
    // Another organisation's administrator sees none of them.
    let other = app.other_browser();
    other.admin("globex", "admin@globex.test").await;
    other
        .sign_in_ok("globex", "admin@globex.test", ADMIN_PASSWORD)
        .await;
    let theirs = other.get_text("/alerts?show=all").await;
    assert!(theirs.contains("No alerts have been raised"), "{theirs}");
}

/// Records one event as the services do: in its own audited transaction.
async fn record(app: &TestApp, org_id: i64, at: chrono::DateTime<chrono::Utc>, event: NewEvent) {
    let mut txn = AuditedTxn::begin(&app.state.db, org_id).await.unwrap();
    txn.record(at, event).await.unwrap();
    txn.commit().await.unwrap();
}

fn pii_viewed(who: &app::server::Principal, records: usize) -> NewEvent {
    NewEvent {
        actor: Actor::user(who.user_id, who.email.clone()),
        action: AuditAction::CustomerPiiViewed,
        target: Target::labelled("customer", format!("{records} customers")),
        outcome: Outcome::Success,
        client: Default::default(),
        before: None,
        after: Some(serde_json::json!({ "records": records })),
    }
}

async fn unusual_record_views_and_an_administrator_losing_a_factor_raise_alerts(
    app: TestApp,
    clock: Arc<TestClock>,
) {
    let admin = org_with_admin(&app).await;
    app.create_person("Mia Member", "mia@acme.test", "mia's long password")
        .await;
    let mia = app.other_browser();
    mia.sign_in_ok("acme", "mia@acme.test", "mia's long password")
        .await;
    let mia = app::server::Principal {
        user_id: app::server::entities::user::Entity::find()
            .filter(app::server::entities::user::Column::Email.eq("mia@acme.test"))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id,
        email: "mia@acme.test".into(),
        ..admin.clone()
    };
    // Her usual week: 20 pages of 5 customers.
    for _ in 0..20 {
        record(&app, admin.org_id, clock.now(), pii_viewed(&mia, 5)).await;
        clock.advance(chrono::Duration::minutes(30));
    }
    jobs::run_once(&app.state).await; // the organisation's set-up alert
    clock.advance(chrono::Duration::days(3));
    // 175 records within the hour: under the minimum of 200, nothing yet.
    for _ in 0..7 {
        record(&app, admin.org_id, clock.now(), pii_viewed(&mia, 25)).await;
        clock.advance(chrono::Duration::minutes(1));
    }
    assert_eq!(jobs::run_once(&app.state).await.alerts, 0);
    // 225: over the minimum and far over her usual rate of about one an hour.
    for _ in 0..2 {
        record(&app, admin.org_id, clock.now(), pii_viewed(&mia, 25)).await;
    }
    assert_eq!(jobs::run_once(&app.state).await.alerts, 1);
    let alert = alert::Entity::find()
        .filter(alert::Column::OrgId.eq(admin.org_id))
        .filter(alert::Column::Kind.eq("record_views"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("a rate alert");
    assert_eq!(alert.subject, "mia@acme.test");
    // Raised at the event that crossed the line.
    assert!(
        alert.summary.contains("200 customer records in an hour"),
        "{}",
        alert.summary
    );

    // Removing a factor of Mia (no admin) is routine; of the administrator, it is not.
    let removed = |who: &app::server::Principal| NewEvent {
        actor: Actor::user(admin.user_id, admin.email.clone()),
        action: AuditAction::MfaRemoved,
        target: Target::user(who.user_id, who.email.clone()),
        outcome: Outcome::Success,
        client: Default::default(),
        before: None,
        after: None,
    };
    record(&app, admin.org_id, clock.now(), removed(&mia)).await;
    assert_eq!(jobs::run_once(&app.state).await.alerts, 0);
    record(&app, admin.org_id, clock.now(), removed(&admin)).await;
    assert_eq!(jobs::run_once(&app.state).await.alerts, 1);
    let alert = alert::Entity::find()
        .filter(alert::Column::OrgId.eq(admin.org_id))
        .filter(alert::Column::Kind.eq("admin_mfa_removed"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("an admin factor alert");
    assert_eq!(alert.subject, "admin@acme.test");
}

on_both_databases!(a_rewritten_history_is_caught_by_its_signed_checkpoint);

on_both_databases_with_clock!(
    checkpoints_are_signed_once_a_day,
    retention_archives_old_events_and_verification_spans_the_archive,
    a_receiver_that_was_down_gets_every_event_exactly_once_in_order,
    alerts_are_raised_once_shown_and_acknowledged,
    unusual_record_views_and_an_administrator_losing_a_factor_raise_alerts,
);
