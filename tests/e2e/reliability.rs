//! Named clients and the stack's supervision: each client's own key and plan, and children that come
//! back after a crash with their keys and quota counts (issue 14). Loopback only, every wait bounded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e_tests::Api;
use e2e_tests::target::CLIENTS_GATEWAY;
use local_stack::stack::LAMBDA_WATCH;

use crate::case;
use crate::support::{Case, Needs, Suite, assert_bad_request, assert_envelope};

/// Long enough for cargo lambda watch to start again and cold-start a function.
const RECOVERY_LIMIT: Duration = Duration::from_secs(240);

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            Needs::LocalStack,
            each_client_has_its_own_plan_also_after_a_gateway_crash
        ),
        case!(Needs::LocalStack, a_killed_lambda_watch_comes_back),
        case!(Needs::LocalStack, a_killed_function_is_recovered),
        case!(
            Needs::LocalStack,
            a_flood_of_one_function_is_answered_and_leaves_every_route_healthy
        ),
    ]
}

fn client_api(suite: &Suite, client: &str) -> Api {
    let local = suite.local();
    Api::new(&local.clients_url, Some(&local.client_keys[client]))
}

/// tests/stages/e2e-clients.json: "mobile" may make 2 requests a day, "partner" 100000. AWS: a key
/// counts against the usage plan it is associated with, and a key in no plan of the stage is 403.
/// Then the gateway is killed: it comes back on its address with the same keys, and the spent
/// quota stays spent (the counts persist).
async fn each_client_has_its_own_plan_also_after_a_gateway_crash(suite: Arc<Suite>) {
    let mobile = client_api(&suite, "mobile");
    let partner = client_api(&suite, "partner");
    for _ in 0..2 {
        assert_eq!(mobile.get("/staff/0001").await.unwrap().status, 200);
    }
    let spent = mobile.get("/staff/0001").await.unwrap();
    assert_eq!(spent.status, 429, "{spent}");
    assert_eq!(spent.gateway_message(), Some("Limit Exceeded"), "{spent}");
    assert_eq!(partner.get("/staff/0001").await.unwrap().status, 200);

    // The main stage's key belongs to no plan of this stage.
    let outsider = Api::new(&suite.local().clients_url, Some(&suite.local().api_key));
    let refused = outsider.get("/staff/0001").await.unwrap();
    assert_eq!(refused.status, 403, "{refused}");
    assert_eq!(refused.gateway_message(), Some("Forbidden"), "{refused}");

    let local = suite.local();
    let restarts_before = local.restarts()[CLIENTS_GATEWAY];
    assert!(local.kill(CLIENTS_GATEWAY), "the clients' gateway runs");
    let recovery = time_until_healthy(&partner).await;
    eprintln!("e2e: a killed gateway answered normally again after {recovery:?}");
    assert_eq!(local.restarts()[CLIENTS_GATEWAY], restarts_before + 1);
    let still_spent = mobile.get("/staff/0001").await.unwrap();
    assert_eq!(
        still_spent.status, 429,
        "a restart must not hand out a fresh quota: {still_spent}"
    );
}

/// Polls `GET /staff/0001` until it answers 200; returns how long that took.
async fn time_until_healthy(api: &Api) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(reply) = api.get("/staff/0001").await
            && reply.status == 200
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < RECOVERY_LIMIT,
            "not healthy again after {RECOVERY_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_killed_lambda_watch_comes_back(suite: Arc<Suite>) {
    let local = suite.local();
    assert!(local.kill(LAMBDA_WATCH), "cargo lambda watch runs");
    let recovery = time_until_healthy(suite.api()).await;
    eprintln!(
        "e2e: routes answered normally again {recovery:?} after cargo lambda watch was killed"
    );
    assert!(local.restarts()[LAMBDA_WATCH] >= 1);
    // Every function is back, not only the one polled.
    assert_every_route_answers(suite.api()).await;
}

/// Each of the four functions answers through its route: two reads, the count, a PUT of a missing
/// id (404) and a refused POST (400).
async fn assert_every_route_answers(api: &Api) {
    assert_eq!(api.get("/staff/0001").await.unwrap().status, 200);
    assert_eq!(api.get("/staff?limit=1").await.unwrap().status, 200);
    let count = api
        .post(
            "/redshift_select",
            &serde_json::json!({"target_table": "flightdata"}),
        )
        .await
        .unwrap();
    assert_eq!(count.status, 200, "{count}");
    let missing = api
        .put("/staff/zz99", &serde_json::json!({"age": 1}))
        .await
        .unwrap();
    assert_envelope(&missing, 404);
    let invalid = api
        .post(
            "/staff",
            &serde_json::json!({"id": "!", "name": "x", "age": 1}),
        )
        .await
        .unwrap();
    assert_bad_request(&invalid);
}

/// On AWS the next invocation after a crashed runtime gets a fresh execution environment; locally
/// the stack's watchdog sees the function's process vanish and restarts cargo lambda watch. Until
/// then the invocation ends at the function's timeout as Lambda ends it (`Sandbox.Timedout`, which
/// the contract's catch-all answers 500), never at the gateway's 29 s with a 504.
async fn a_killed_function_is_recovered(suite: Arc<Suite>) {
    let local = suite.local();
    assert_eq!(suite.api().get("/staff/0001").await.unwrap().status, 200);
    let restarts_before = local.restarts()[LAMBDA_WATCH];
    assert!(local.kill_function("staff-get"), "staff-get runs");
    let stranded = suite.api().get("/staff/0001").await.unwrap();
    assert_envelope(&stranded, 500);
    let recovery = time_until_healthy(suite.api()).await;
    eprintln!(
        "e2e: GET /staff/0001 answered normally again {recovery:?} after its function was killed"
    );
    assert_eq!(local.restarts()[LAMBDA_WATCH], restarts_before + 1);
}

/// Issue 14: 300 invocations of one function open at once wedged cargo lambda watch for good
/// (measured with 1.9.2; 200 were answered). The gateway now hands at most 64 per function to it at
/// a time and the rest wait their turn (on Lambda they would run at once, so only latency differs),
/// so every request of the flood is answered and every route is healthy after it.
async fn a_flood_of_one_function_is_answered_and_leaves_every_route_healthy(suite: Arc<Suite>) {
    const FLOOD: usize = 300;
    let started = Instant::now();
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..FLOOD {
        let api = suite.api().clone();
        flood.spawn(async move { api.get("/staff/0001").await.map(|reply| reply.status) });
    }
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    while let Some(outcome) = flood.join_next().await {
        let status = match outcome.expect("the request task ran") {
            Ok(status) => status.to_string(),
            Err(error) => format!("no answer ({error})"),
        };
        *statuses.entry(status).or_default() += 1;
    }
    eprintln!(
        "e2e: {FLOOD} concurrent GET /staff/0001 answered {statuses:?} in {:?}",
        started.elapsed()
    );
    assert_eq!(statuses.get("200"), Some(&FLOOD), "{statuses:?}");
    assert_every_route_answers(suite.api()).await;
}
