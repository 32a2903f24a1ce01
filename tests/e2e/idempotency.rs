//! A 504 never hides a write: a write blocked past the function's deadline answers 504 saying its
//! outcome is unknown, commits later, and the retry with the same Idempotency-Key answers that
//! outcome instead of writing again (or 409). The blocking lock is held through an rds-data
//! transaction on the local Data API, so these cases need the local stack.

use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e_tests::Api;
use serde_json::json;

use crate::case;
use crate::support::{Case, Needs, Suite, new_staff_id};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            Needs::LocalStack,
            post_blocked_past_its_deadline_is_answered_by_its_key
        ),
        case!(
            Needs::LocalStack,
            put_blocked_past_its_deadline_is_answered_by_its_key
        ),
        case!(Needs::Any, a_key_reused_with_another_request_is_422),
    ]
}

fn new_key() -> String {
    format!("e2e-{:016x}", fastrand::u64(..))
}

/// Polls GET /staff/{id} until `done` holds for its body (the late write has committed).
async fn await_record(api: &Api, id: &str, done: impl Fn(&serde_json::Value) -> bool) {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = api.get(&format!("/staff/{id}")).await.unwrap();
        if reply.status == 200 && done(&reply.json) {
            return;
        }
        assert!(
            Instant::now() < give_up,
            "the late write never committed: {reply}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post_blocked_past_its_deadline_is_answered_by_its_key(suite: Arc<Suite>) {
    let local = suite.local();
    let id = new_staff_id();
    // Another transaction inserts the same id and stays open: the POST's insert waits on the
    // primary key until that transaction ends.
    let holder = local.databases.aurora_begin().await.unwrap();
    let insert = format!("INSERT INTO staff (id, name, age) VALUES ('{id}', 'Holder', 1)");
    local
        .databases
        .aurora_execute_in(&holder, &insert)
        .await
        .unwrap();

    let key = new_key();
    let api = suite.api().with_header("Idempotency-Key", &key);
    let record = json!({"id": id, "name": "Nova", "age": 29});
    let late = api.post("/staff", &record).await.unwrap();
    assert_eq!(late.status, 504, "{late}");
    let reason = late.json["ErrorReason"].as_str().unwrap_or_default();
    assert!(reason.contains("same Idempotency-Key"), "{late}");

    // The holder gives up; the abandoned POST goes on and commits after its 504.
    local.databases.aurora_end(&holder, false).await.unwrap();
    await_record(suite.api(), &id, |stored| stored["name"] == "Nova").await;

    let retry = api.post("/staff", &record).await.unwrap();
    assert_eq!(retry.status, 201, "the retry learns the outcome: {retry}");
    assert_eq!(retry.json, record);
    let without_key = suite.api().post("/staff", &record).await.unwrap();
    assert_eq!(without_key.status, 409, "{without_key}");
}

async fn put_blocked_past_its_deadline_is_answered_by_its_key(suite: Arc<Suite>) {
    let local = suite.local();
    let id = new_staff_id();
    let created = suite
        .api()
        .post("/staff", &json!({"id": id, "name": "Before", "age": 1}))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{created}");
    let holder = local.databases.aurora_begin().await.unwrap();
    let lock = format!("SELECT id FROM staff WHERE id = '{id}' FOR UPDATE");
    local
        .databases
        .aurora_execute_in(&holder, &lock)
        .await
        .unwrap();

    let api = suite.api().with_header("Idempotency-Key", &new_key());
    let change = json!({"name": "After"});
    let late = api.put(&format!("/staff/{id}"), &change).await.unwrap();
    assert_eq!(late.status, 504, "{late}");

    local.databases.aurora_end(&holder, true).await.unwrap();
    await_record(suite.api(), &id, |stored| stored["name"] == "After").await;

    let retry = api.put(&format!("/staff/{id}"), &change).await.unwrap();
    assert_eq!(retry.status, 200, "{retry}");
    assert_eq!(retry.json, json!({"id": id, "name": "After", "age": 1}));
}

async fn a_key_reused_with_another_request_is_422(suite: Arc<Suite>) {
    let api = suite.api().with_header("Idempotency-Key", &new_key());
    let id = new_staff_id();
    let record = json!({"id": id, "name": "Once", "age": 2});
    let created = api.post("/staff", &record).await.unwrap();
    assert_eq!(created.status, 201, "{created}");
    let replayed = api.post("/staff", &record).await.unwrap();
    assert_eq!(
        (replayed.status, &replayed.json),
        (201, &record),
        "{replayed}"
    );

    let other = json!({"id": id, "name": "Twice", "age": 2});
    let refused = api.post("/staff", &other).await.unwrap();
    assert_eq!(refused.status, 422, "{refused}");
    assert_eq!(
        refused.json["ErrorReason"],
        "this Idempotency-Key was used with a different request"
    );
    let put = api
        .put(&format!("/staff/{id}"), &json!({"age": 3}))
        .await
        .unwrap();
    assert_eq!(put.status, 422, "the key is bound to its method too: {put}");
    assert_eq!(
        suite.api().get(&format!("/staff/{id}")).await.unwrap().json,
        record,
        "nothing was written twice"
    );
}
