//! Every endpoint and every status of the contract (../shared/DESIGN.md), through the gateway.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::case;
use crate::support::{
    Case, Needs, Suite, assert_bad_request, assert_envelope, assert_gateway_answer, assert_safe,
    new_staff_id,
};

pub fn cases() -> Vec<Case> {
    vec![
        case!(Needs::Any, redshift_count_returns_the_row_count),
        case!(
            Needs::Any,
            redshift_count_rejects_bodies_that_fail_the_model
        ),
        case!(
            Needs::Any,
            redshift_count_rejects_names_that_are_not_identifiers
        ),
        case!(Needs::Any, redshift_count_of_a_missing_table_is_404),
        case!(Needs::Any, staff_get_by_path_and_by_query),
        case!(Needs::Any, staff_list_pages_in_id_order),
        case!(Needs::Any, staff_get_rejects_invalid_parameters),
        case!(Needs::Any, staff_get_of_a_missing_id_is_404),
        case!(Needs::Any, staff_post_creates_then_conflicts),
        case!(Needs::Any, staff_post_rejects_invalid_bodies),
        case!(Needs::Any, staff_put_updates_name_and_age),
        case!(Needs::Any, staff_put_rejects_invalid_bodies),
        case!(
            Needs::Any,
            staff_put_of_a_missing_id_is_404_and_creates_nothing
        ),
        case!(Needs::Any, concurrent_posts_of_one_id_give_one_201),
        case!(Needs::Any, missing_or_wrong_api_key_is_403),
        case!(
            Needs::Any,
            unknown_route_is_403_missing_authentication_token
        ),
        case!(Needs::Any, non_json_body_is_415),
        case!(Needs::LocalStack, throttled_key_gets_429_too_many_requests),
        case!(Needs::LocalStack, spent_quota_gets_429_limit_exceeded),
        case!(Needs::LocalStack, busy_data_api_is_503),
        case!(
            Needs::LocalStack,
            statement_over_budget_is_504_and_cancelled
        ),
        case!(Needs::LocalStack, unexpected_backend_error_is_500),
        case!(Needs::LocalStack, printed_curl_lines_work),
    ]
}

async fn redshift_count_returns_the_row_count(suite: Arc<Suite>) {
    let api = suite.api();
    for body in [
        json!({"target_table": "flightdata"}),
        json!({"target_table": "flightdata", "schema": "public"}),
    ] {
        let reply = api.post("/redshift_select", &body).await.unwrap();
        assert_eq!(reply.status, 200, "{reply}");
        assert_eq!(reply.json["Status"], "success", "{reply}");
        let count = reply.json["result_value"].as_u64();
        if suite.target.local.is_some() {
            // schemas/db/redshift.sql seeds 118 rows.
            assert_eq!(count, Some(118), "{reply}");
        } else {
            assert!(count.is_some(), "result_value is not an integer: {reply}");
        }
    }
}

async fn redshift_count_rejects_bodies_that_fail_the_model(suite: Arc<Suite>) {
    let api = suite.api();
    for body in [
        r#"{}"#,
        r#"{"target_table": ""}"#,
        r#"{"target_table": 42}"#,
        r#"{"target_table": "flightdata", "extra": 1}"#,
        r#"["flightdata"]"#,
        r#"{"target_table": "flightdata""#,
    ] {
        let reply = api
            .send_raw("POST", "/redshift_select", Some(body))
            .await
            .unwrap();
        assert_bad_request(&reply);
    }
}

async fn redshift_count_rejects_names_that_are_not_identifiers(suite: Arc<Suite>) {
    let api = suite.api();
    for body in [
        json!({"target_table": "flight data"}),
        json!({"target_table": "flightdata; DROP TABLE flightdata"}),
        json!({"target_table": "flightdata\""}),
        json!({"target_table": "flightdata", "schema": "public.x"}),
    ] {
        let reply = api.post("/redshift_select", &body).await.unwrap();
        assert_bad_request(&reply);
    }
}

async fn redshift_count_of_a_missing_table_is_404(suite: Arc<Suite>) {
    let api = suite.api();
    for body in [
        json!({"target_table": "no_such_table"}),
        json!({"target_table": "flightdata", "schema": "no_such_schema"}),
    ] {
        let reply = api.post("/redshift_select", &body).await.unwrap();
        assert_envelope(&reply, 404);
    }
}

async fn staff_get_by_path_and_by_query(suite: Arc<Suite>) {
    let api = suite.api();
    let by_path = api.get("/staff/0001").await.unwrap();
    let by_query = api.get("/staff?id=0001").await.unwrap();
    assert_eq!(by_path.status, 200, "{by_path}");
    assert_eq!(by_query.status, 200, "{by_query}");
    assert_eq!(by_path.json, by_query.json);
    if suite.target.local.is_some() {
        assert_eq!(
            by_path.json,
            json!({"id": "0001", "name": "Aurora", "age": 12})
        );
    } else {
        assert_eq!(by_path.json["id"], "0001", "{by_path}");
    }
}

async fn staff_list_pages_in_id_order(suite: Arc<Suite>) {
    let api = suite.api();
    let first = api.get("/staff?limit=2").await.unwrap();
    assert_eq!(first.status, 200, "{first}");
    let items = first.json["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2, "{first}");
    assert_eq!(
        first.json["next"], items[1]["id"],
        "next is the page's last id: {first}"
    );
    if suite.target.local.is_some() {
        assert_eq!(items[0]["id"], "0001");
        assert_eq!(items[1]["id"], "0002");
    }

    // Walk every page: ids strictly increase across pages and `next` is null on the last one.
    let mut after = String::new();
    let mut previous_id = String::new();
    for _ in 0..10_000 {
        let path = if after.is_empty() {
            "/staff?limit=100".to_owned()
        } else {
            format!("/staff?limit=100&after={after}")
        };
        let page = api.get(&path).await.unwrap();
        assert_eq!(page.status, 200, "{page}");
        for item in page.json["items"].as_array().expect("items") {
            let id = item["id"].as_str().expect("id").to_owned();
            assert!(
                id > previous_id,
                "{id} after {previous_id}: not in id order"
            );
            previous_id = id;
        }
        match &page.json["next"] {
            Value::Null => return,
            Value::String(next) => after = next.clone(),
            other => panic!("next is neither an id nor null: {other}"),
        }
    }
    panic!("paging did not end");
}

async fn staff_get_rejects_invalid_parameters(suite: Arc<Suite>) {
    let api = suite.api();
    for path in [
        "/staff/001",
        "/staff/00001",
        "/staff/ab%21c",
        "/staff?id=abcde",
        "/staff?id=%20%20%20%20",
        "/staff?limit=0",
        "/staff?limit=101",
        "/staff?limit=ten",
        "/staff?limit=-1",
        "/staff?after=toolong",
    ] {
        let reply = api.get(path).await.unwrap();
        assert_bad_request(&reply);
    }
}

async fn staff_get_of_a_missing_id_is_404(suite: Arc<Suite>) {
    let api = suite.api();
    let missing = new_staff_id();
    assert_envelope(&api.get(&format!("/staff/{missing}")).await.unwrap(), 404);
    assert_envelope(
        &api.get(&format!("/staff?id={missing}")).await.unwrap(),
        404,
    );
}

async fn staff_post_creates_then_conflicts(suite: Arc<Suite>) {
    let api = suite.api();
    let id = new_staff_id();
    let record = json!({"id": id, "name": "Nova", "age": 29});
    let created = api.post("/staff", &record).await.unwrap();
    assert_eq!(created.status, 201, "{created}");
    assert_eq!(created.json, record);
    assert_eq!(api.get(&format!("/staff/{id}")).await.unwrap().json, record);

    let again = json!({"id": id, "name": "Other", "age": null});
    assert_envelope(&api.post("/staff", &again).await.unwrap(), 409);
    assert_eq!(
        api.get(&format!("/staff/{id}")).await.unwrap().json,
        record,
        "a conflicting POST changed the record"
    );

    // age may be null.
    let no_age = json!({"id": new_staff_id(), "name": "Ageless", "age": null});
    let created = api.post("/staff", &no_age).await.unwrap();
    assert_eq!(created.status, 201, "{created}");
    assert_eq!(created.json, no_age);
}

async fn staff_post_rejects_invalid_bodies(suite: Arc<Suite>) {
    let api = suite.api();
    let id = new_staff_id();
    let long_name = "n".repeat(101);
    for body in [
        json!({"name": "No id", "age": 1}),
        json!({"id": id, "age": 1}),
        json!({"id": id, "name": "", "age": 1}),
        json!({"id": id, "name": "   ", "age": 1}),
        json!({"id": id, "name": long_name, "age": 1}),
        json!({"id": id, "name": "Old", "age": 151}),
        json!({"id": id, "name": "Young", "age": -1}),
        json!({"id": id, "name": "Text", "age": "12"}),
        json!({"id": id, "name": "Fraction", "age": 1.5}),
        json!({"id": "12345", "name": "Long id", "age": 1}),
        json!({"id": "ab!c", "name": "Bad id", "age": 1}),
        json!({"id": 1234, "name": "Numeric id", "age": 1}),
    ] {
        let reply = api.post("/staff", &body).await.unwrap();
        assert_bad_request(&reply);
    }
    let not_json = api
        .send_raw("POST", "/staff", Some("{\"id\": \"ABCD\""))
        .await
        .unwrap();
    assert_bad_request(&not_json);
    assert_envelope(&api.get(&format!("/staff/{id}")).await.unwrap(), 404);
}

async fn staff_put_updates_name_and_age(suite: Arc<Suite>) {
    let api = suite.api();
    let id = new_staff_id();
    let path = format!("/staff/{id}");
    let created = api
        .post("/staff", &json!({"id": id, "name": "Before", "age": 40}))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{created}");

    let renamed = api.put(&path, &json!({"name": "After"})).await.unwrap();
    assert_eq!(renamed.status, 200, "{renamed}");
    assert_eq!(renamed.json, json!({"id": id, "name": "After", "age": 40}));

    let aged = api.put(&path, &json!({"age": 41})).await.unwrap();
    assert_eq!(
        aged.json,
        json!({"id": id, "name": "After", "age": 41}),
        "{aged}"
    );

    let cleared = api.put(&path, &json!({"age": null})).await.unwrap();
    assert_eq!(
        cleared.json,
        json!({"id": id, "name": "After", "age": null}),
        "{cleared}"
    );

    let both = api
        .put(&path, &json!({"name": "Both", "age": 7}))
        .await
        .unwrap();
    assert_eq!(
        both.json,
        json!({"id": id, "name": "Both", "age": 7}),
        "{both}"
    );
    assert_eq!(api.get(&path).await.unwrap().json, both.json);
}

async fn staff_put_rejects_invalid_bodies(suite: Arc<Suite>) {
    let api = suite.api();
    let id = new_staff_id();
    let path = format!("/staff/{id}");
    let record = json!({"id": id, "name": "Steady", "age": 30});
    assert_eq!(api.post("/staff", &record).await.unwrap().status, 201);
    for body in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "  "}),
        json!({"name": null}),
        json!({"age": 151}),
        json!({"age": "30"}),
        json!({"id": "ZZZZ"}),
    ] {
        let reply = api.put(&path, &body).await.unwrap();
        assert_bad_request(&reply);
    }
    assert_bad_request(&api.put("/staff/abc", &json!({"age": 1})).await.unwrap());
    assert_eq!(
        api.get(&path).await.unwrap().json,
        record,
        "a rejected PUT changed the record"
    );
}

async fn staff_put_of_a_missing_id_is_404_and_creates_nothing(suite: Arc<Suite>) {
    let api = suite.api();
    let id = new_staff_id();
    let path = format!("/staff/{id}");
    let reply = api
        .put(&path, &json!({"name": "Ghost", "age": 1}))
        .await
        .unwrap();
    assert_envelope(&reply, 404);
    assert_envelope(&api.get(&path).await.unwrap(), 404);
}

async fn concurrent_posts_of_one_id_give_one_201(suite: Arc<Suite>) {
    const CLIENTS: usize = 8;
    let api = suite.api();
    let id = new_staff_id();
    let posts = (0..CLIENTS).map(|client| {
        let api = api.clone();
        let body = json!({"id": id, "name": format!("Client {client}"), "age": client});
        tokio::spawn(async move { api.post("/staff", &body).await.unwrap() })
    });
    let mut created = 0;
    for post in posts {
        let reply = post.await.unwrap();
        match reply.status {
            201 => created += 1,
            409 => assert_envelope(&reply, 409),
            _ => panic!("neither 201 nor 409: {reply}"),
        }
    }
    assert_eq!(created, 1, "exactly one POST may create {id}");
}

async fn missing_or_wrong_api_key_is_403(suite: Arc<Suite>) {
    let api = suite.api();
    for client in [
        api.with_key(None),
        api.with_key(Some("x".repeat(40).as_str())),
    ] {
        for (method, path, body) in [
            ("GET", "/staff/0001", None),
            (
                "POST",
                "/redshift_select",
                Some(r#"{"target_table":"flightdata"}"#),
            ),
            ("PUT", "/staff/0001", Some(r#"{"age":1}"#)),
        ] {
            let reply = client.send_raw(method, path, body).await.unwrap();
            assert_gateway_answer(&reply, 403, "Forbidden");
            assert_eq!(
                reply.error_type.as_deref(),
                Some("ForbiddenException"),
                "{reply}"
            );
        }
    }
}

async fn unknown_route_is_403_missing_authentication_token(suite: Arc<Suite>) {
    let api = suite.api();
    for (method, path) in [
        ("GET", "/nope"),
        ("GET", "/staff/0001/extra"),
        ("DELETE", "/staff/0001"),
        ("GET", "/redshift_select"),
    ] {
        let reply = api.send_raw(method, path, None).await.unwrap();
        assert_gateway_answer(&reply, 403, "Missing Authentication Token");
    }
}

async fn non_json_body_is_415(suite: Arc<Suite>) {
    let api = suite.api();
    let reply = api
        .send_raw_with_type("POST", "/staff", "text/plain", "id=0009")
        .await
        .unwrap();
    assert_gateway_answer(&reply, 415, "Unsupported Media Type");
}

async fn throttled_key_gets_429_too_many_requests(suite: Arc<Suite>) {
    // Usage plan of tests/stages/e2e-throttle.json: 1 request/s, burst 2.
    const REQUESTS: usize = 12;
    let api = &suite.local().throttled_api;
    let requests = (0..REQUESTS).map(|_| {
        let api = api.clone();
        tokio::spawn(async move { api.get("/staff/0001").await.unwrap() })
    });
    let mut throttled = 0;
    for request in requests {
        let reply = request.await.unwrap();
        match reply.status {
            200 => {}
            429 => {
                assert_gateway_answer(&reply, 429, "Too Many Requests");
                throttled += 1;
            }
            _ => panic!("neither 200 nor 429: {reply}"),
        }
    }
    assert!(
        throttled >= REQUESTS - 3,
        "only {throttled} of {REQUESTS} throttled"
    );
}

async fn spent_quota_gets_429_limit_exceeded(suite: Arc<Suite>) {
    // Usage plan of tests/stages/e2e-quota.json: 3 requests a day.
    let api = &suite.local().quota_api;
    for _ in 0..3 {
        let reply = api.get("/staff/0001").await.unwrap();
        assert_eq!(reply.status, 200, "{reply}");
    }
    for _ in 0..2 {
        let reply = api.get("/staff/0001").await.unwrap();
        assert_gateway_answer(&reply, 429, "Limit Exceeded");
    }
}

async fn busy_data_api_is_503(suite: Arc<Suite>) {
    let local = suite.local();
    local.admin.reset().await.unwrap();
    // More than any retry policy tries: every ExecuteStatement is refused.
    local
        .admin
        .inject_fault(
            "redshift-data",
            "ExecuteStatement",
            "ActiveStatementsExceededException",
            1_000,
        )
        .await
        .unwrap();
    let reply = suite
        .api()
        .post("/redshift_select", &json!({"target_table": "flightdata"}))
        .await
        .unwrap();
    let calls = local.admin.calls().await.unwrap();
    local.admin.reset().await.unwrap();
    assert_envelope(&reply, 503);
    let attempts = calls
        .get("redshift-data.ExecuteStatement")
        .copied()
        .unwrap_or_default();
    assert!(
        attempts >= 2,
        "the function gave up without retrying ({attempts} calls)"
    );
}

async fn statement_over_budget_is_504_and_cancelled(suite: Arc<Suite>) {
    let local = suite.local();
    local.admin.reset().await.unwrap();
    let before: Vec<String> = local
        .admin
        .statements()
        .await
        .unwrap()
        .into_iter()
        .map(|statement| statement.id)
        .collect();
    local
        .admin
        .set_statement_duration(local.function_timeout + Duration::from_secs(3))
        .await
        .unwrap();
    let reply = suite
        .api()
        .post("/redshift_select", &json!({"target_table": "flightdata"}))
        .await
        .unwrap();
    assert_envelope(&reply, 504);

    // Cancellation is asynchronous on the Data API side: wait for it, bounded.
    let deadline = Instant::now() + Duration::from_secs(30);
    let ours = loop {
        let ours: Vec<_> = local
            .admin
            .statements()
            .await
            .unwrap()
            .into_iter()
            .filter(|statement| !before.contains(&statement.id))
            .collect();
        let settled = ours.iter().all(|s| !s.running && s.status == "ABORTED");
        if (!ours.is_empty() && settled) || Instant::now() > deadline {
            break ours;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    local.admin.reset().await.unwrap();
    assert!(!ours.is_empty(), "the request started no statement");
    for statement in ours {
        assert!(
            !statement.running,
            "statement {} still running",
            statement.id
        );
        assert_eq!(statement.status, "ABORTED", "statement {}", statement.id);
    }
}

/// The SDK retries a 500 from the Data API (standard retry mode: 3 attempts, up to 1 s and 2 s of
/// jittered backoff between them), so the test stage's budget (timeout 6 s less api-core's 1.5 s
/// margin) outlasts the retries and the answer is the error, not the deadline's 504. With 4 s the
/// backoff's jitter decided between the two.
async fn unexpected_backend_error_is_500(suite: Arc<Suite>) {
    let local = suite.local();
    local.admin.reset().await.unwrap();
    local
        .admin
        .inject_fault(
            "rds-data",
            "ExecuteStatement",
            "InternalServerErrorException",
            1_000,
        )
        .await
        .unwrap();
    let reply = suite.api().get("/staff/0001").await.unwrap();
    local.admin.reset().await.unwrap();
    assert_envelope(&reply, 500);
}

async fn printed_curl_lines_work(suite: Arc<Suite>) {
    let local = suite.local();
    for example in local_gateway::example_requests::EXAMPLES {
        let line = example.curl_line(&local.base_url, &local.api_key);
        let output = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(&line)
            .output()
            .await
            .expect("sh runs curl");
        let printed = String::from_utf8_lossy(&output.stdout);
        let status = printed.rsplit("-> ").next().unwrap_or_default().trim();
        assert!(
            status == "200" || status == "201",
            "`{line}` printed {printed}"
        );
        assert_safe(&e2e_tests::Reply {
            status: 200,
            text: printed.to_string(),
            json: Value::Null,
            error_type: None,
        });
    }
    // The examples change seeded rows; restore them for the cases after this one.
    local.admin.reset().await.unwrap();
}
