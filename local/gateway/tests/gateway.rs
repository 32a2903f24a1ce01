//! The gateway over HTTP, on the repository's OpenAPI document, against a stub Lambda Invoke endpoint.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::{
    Answer, StubLambda, api, gateway_answering, generous_stage, openapi_document, send, send_with,
    start_gateway,
};

fn staff_0001() -> serde_json::Value {
    json!({"id": "0001", "name": "Aurora", "age": 12})
}

#[tokio::test]
async fn unknown_resources_and_methods_get_missing_authentication_token() {
    let (gateway, lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    for (method, path) in [
        ("GET", "/nope"),
        ("DELETE", "/staff/0001"),
        ("GET", "/staff/0001/extra"),
        ("PATCH", "/staff"),
    ] {
        let reply = send(&gateway, method, path, None).await;
        assert_eq!(reply.status, 403, "{method} {path}");
        assert_eq!(
            reply.json(),
            json!({"message": "Missing Authentication Token"})
        );
        assert_eq!(
            reply.header("x-amzn-errortype"),
            Some("MissingAuthenticationTokenException")
        );
    }
    assert!(lambda.calls().is_empty());
}

#[tokio::test]
async fn a_missing_or_unknown_api_key_is_forbidden() {
    let (gateway, lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    let missing = send_with(&gateway, "GET", "/staff/0001", &[], None).await;
    assert_eq!(missing.status, 403);
    assert_eq!(missing.json(), json!({"message": "Forbidden"}));
    assert_eq!(
        missing.header("x-amzn-errortype"),
        Some("ForbiddenException")
    );
    assert!(missing.header("x-amzn-requestid").is_some());

    let wrong = send_with(
        &gateway,
        "GET",
        "/staff/0001",
        &[("x-api-key", "not-a-key-of-this-usage-plan")],
        None,
    )
    .await;
    assert_eq!(wrong.status, 403);
    assert_eq!(wrong.json(), json!({"message": "Forbidden"}));
    assert!(lambda.calls().is_empty());
}

#[tokio::test]
async fn get_by_path_id_invokes_staff_get_and_returns_its_result() {
    let (gateway, lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), staff_0001());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let request_id = reply.header("x-amzn-requestid").unwrap();
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");

    let call = lambda.only_call();
    assert_eq!(call.function, "staff-get");
    assert_eq!(
        call.event_json(),
        json!({"id": "0001", "limit": "", "after": ""})
    );
}

#[tokio::test]
async fn query_parameters_reach_staff_get_escaped() {
    let (gateway, lambda) =
        gateway_answering(Answer::Success(json!({"items": [], "next": null}))).await;
    let reply = send(
        &gateway,
        "GET",
        "/staff?limit=2&after=0001&id=a%27%22b%5C",
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        lambda.only_call().event_json(),
        json!({"id": "a'\"b\\", "limit": "2", "after": "0001"})
    );
}

#[tokio::test]
async fn post_staff_sends_the_body_values_and_answers_201() {
    let (gateway, lambda) = gateway_answering(Answer::Success(
        json!({"id": "0004", "name": "Athena", "age": null}),
    ))
    .await;
    let reply = send(
        &gateway,
        "POST",
        "/staff",
        Some(r#"{"id":"0004","name":"Athena"}"#),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"id": "0004", "name": "Athena", "age": null})
    );
    let call = lambda.only_call();
    assert_eq!(call.function, "staff-post");
    assert_eq!(
        call.event_json(),
        json!({"id": "0004", "name": "Athena", "age": null, "idempotency_key": ""})
    );
}

#[tokio::test]
async fn put_staff_sends_only_the_keys_the_body_has() {
    let (gateway, lambda) = gateway_answering(Answer::Success(
        json!({"id": "0001", "name": "Aurora", "age": null}),
    ))
    .await;
    let reply = send(&gateway, "PUT", "/staff/0001", Some(r#"{"age":null}"#)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = send(
        &gateway,
        "PUT",
        "/staff/0001",
        Some(r#"{"name":"Aurora B"}"#),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let events: Vec<_> = lambda
        .calls()
        .iter()
        .map(|call| (call.function.clone(), call.event_json()))
        .collect();
    assert_eq!(
        events,
        [
            (
                "staff-put".to_owned(),
                json!({"id": "0001", "age": null, "idempotency_key": ""})
            ),
            (
                "staff-put".to_owned(),
                json!({"id": "0001", "name": "Aurora B", "idempotency_key": ""})
            ),
        ]
    );
}

#[tokio::test]
async fn redshift_select_defaults_the_schema_to_empty() {
    let (gateway, lambda) = gateway_answering(Answer::Success(
        json!({"Status": "success", "result_value": 118}),
    ))
    .await;
    let reply = send(
        &gateway,
        "POST",
        "/redshift_select",
        Some(r#"{"target_table":"flightdata"}"#),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"Status": "success", "result_value": 118})
    );
    let reply = send(
        &gateway,
        "POST",
        "/redshift_select",
        Some(r#"{"target_table":"flightdata","schema":"sales"}"#),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let events: Vec<_> = lambda
        .calls()
        .iter()
        .map(|call| call.event_json())
        .collect();
    assert_eq!(
        events,
        [
            json!({"target_table": "flightdata", "schema": ""}),
            json!({"target_table": "flightdata", "schema": "sales"})
        ]
    );
    assert!(
        lambda
            .calls()
            .iter()
            .all(|call| call.function == "redshift-count")
    );
}

#[tokio::test]
async fn bodies_that_fail_their_model_are_rejected_before_the_function() {
    let (gateway, lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    let invalid = [
        ("POST", "/staff", r#"{"id":"0004"}"#),
        ("POST", "/staff", r#"{"id":"04","name":"Athena"}"#),
        (
            "POST",
            "/staff",
            r#"{"id":"0004","name":"Athena","age":151}"#,
        ),
        (
            "POST",
            "/staff",
            r#"{"id":"0004","name":"Athena","extra":true}"#,
        ),
        ("POST", "/staff", "not json"),
        ("PUT", "/staff/0001", "{}"),
        ("PUT", "/staff/0001", r#"{"age":"12"}"#),
        ("POST", "/redshift_select", r#"{"target_table":7}"#),
        ("POST", "/redshift_select", ""),
    ];
    for (method, path, body) in invalid {
        let reply = send(&gateway, method, path, Some(body)).await;
        assert_eq!(reply.status, 400, "{method} {path} {body}");
        assert_eq!(reply.body, r#"{"message": "Invalid request body"}"#);
        assert_eq!(
            reply.header("x-amzn-errortype"),
            Some("BadRequestException")
        );
    }
    assert!(lambda.calls().is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_json_is_unsupported_media_type() {
    let (gateway, lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    let reply = send_with(
        &gateway,
        "POST",
        "/staff",
        &[
            ("x-api-key", support::API_KEY),
            ("content-type", "text/plain"),
        ],
        Some("id=0004"),
    )
    .await;
    assert_eq!(reply.status, 415);
    assert_eq!(reply.json(), json!({"message": "Unsupported Media Type"}));
    assert!(lambda.calls().is_empty());
}

#[tokio::test]
async fn function_errors_select_their_status_from_the_envelope_in_both_error_styles() {
    let envelope = r#"{"Status":404,"ErrorReason":"no staff with id 0009"}"#;
    for answer in [
        Answer::LambdaError(envelope.into()),
        Answer::CargoLambdaError(envelope.into()),
    ] {
        let (gateway, _lambda) = gateway_answering(answer).await;
        let reply = send(&gateway, "GET", "/staff/0009", None).await;
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body.trim(), envelope);
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
}

#[tokio::test]
async fn every_envelope_status_of_an_operation_is_selected() {
    let (gateway, lambda) = gateway_answering(Answer::Success(json!(null))).await;
    for status in [400, 404, 503, 504, 500] {
        let envelope = format!(r#"{{"Status":{status},"ErrorReason":"reason {status}"}}"#);
        lambda.answer_with(Answer::LambdaError(envelope.clone()));
        let reply = send(
            &gateway,
            "POST",
            "/redshift_select",
            Some(r#"{"target_table":"t"}"#),
        )
        .await;
        assert_eq!(reply.status, status);
        assert_eq!(
            reply.json(),
            serde_json::from_str::<serde_json::Value>(&envelope).unwrap()
        );
    }
    lambda.answer_with(Answer::LambdaError(
        r#"{"Status":409,"ErrorReason":"exists"}"#.into(),
    ));
    let conflict = send(
        &gateway,
        "POST",
        "/staff",
        Some(r#"{"id":"0001","name":"Aurora"}"#),
    )
    .await;
    assert_eq!(conflict.status, 409);
}

#[tokio::test]
async fn other_function_errors_become_a_safe_500() {
    let (gateway, lambda) = gateway_answering(Answer::Success(json!(null))).await;
    let unsafe_messages = [
        "2026-01-07T09:05:03.000Z 1b2c Task timed out after 10.00 seconds",
        "Runtime exited with error: signal: aborted (core dumped)",
        "panicked at src/main.rs:10:5: SELECT * FROM staff WHERE id = 'x'",
        r#"{"Status":409,"ErrorReason":"a status this operation does not return"}"#,
    ];
    for message in unsafe_messages {
        lambda.answer_with(Answer::LambdaError(message.into()));
        let reply = send(&gateway, "GET", "/staff/0001", None).await;
        assert_eq!(reply.status, 500, "{message}");
        assert_eq!(
            reply.json(),
            json!({"Status": 500, "ErrorReason": "Internal server error"}),
            "{message}"
        );
    }
}

#[tokio::test]
async fn successes_answer_their_default_status_through_the_contract() {
    let (gateway, _lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    for (method, path, body, status) in [
        ("GET", "/staff/0001", None, 200),
        ("GET", "/staff?id=0001", None, 200),
        ("PUT", "/staff/0001", Some(r#"{"age":12}"#), 200),
        (
            "POST",
            "/staff",
            Some(r#"{"id":"0001","name":"Aurora","age":12}"#),
            201,
        ),
    ] {
        let reply = send(&gateway, method, path, body).await;
        assert_eq!(reply.status, status, "{method} {path}");
        assert_eq!(reply.json(), staff_0001(), "{method} {path}");
    }
}

/// AWS matches a success as the empty string, so a catch-all ending in `.*` selects every success
/// (docs/aws-fidelity.md, "Selection"): the mistake the contract once shipped, reproduced here.
#[tokio::test]
async fn a_catch_all_that_matches_the_empty_string_turns_successes_into_500() {
    let mut document = openapi_document();
    let responses = &mut document["paths"]["/staff/{id}"]["get"]["x-amazon-apigateway-integration"]
        ["responses"];
    let responses = responses.as_object_mut().unwrap();
    let catch_all = responses
        .keys()
        .find(|pattern| pattern.starts_with("(?s)(?!"))
        .cloned()
        .unwrap();
    let response = responses.remove(&catch_all).unwrap();
    let dot_star = format!("{}*", catch_all.strip_suffix('+').unwrap());
    responses.insert(dot_star, response);

    let lambda = StubLambda::start(Answer::Success(staff_0001())).await;
    let gateway = start_gateway(&lambda.url, api(document), generous_stage()).await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.json(),
        json!({"Status": 500, "ErrorReason": "Internal server error"})
    );
    assert_eq!(lambda.calls().len(), 1, "the function ran and succeeded");
}

/// A function error whose errorMessage is empty is matched exactly like a success (AWS's rule), so
/// it gets the default response. The product's functions always send the envelope.
#[tokio::test]
async fn an_error_with_an_empty_message_selects_the_default_like_a_success() {
    let (gateway, _lambda) = gateway_answering(Answer::LambdaError(String::new())).await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn a_success_without_a_body_is_still_the_default_response() {
    let (gateway, _lambda) = gateway_answering(Answer::Success(json!(null))).await;
    let reply = send(&gateway, "PUT", "/staff/0001", Some(r#"{"age":1}"#)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.trim(), "null");
}

#[tokio::test]
async fn a_failed_invocation_is_internal_server_error() {
    let (gateway, _lambda) = gateway_answering(Answer::Status(404)).await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json(), json!({"message": "Internal server error"}));
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("InternalServerErrorException")
    );
}

#[tokio::test]
async fn an_unreachable_lambda_endpoint_is_internal_server_error() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let gateway = support::start_gateway(
        &url,
        support::api(support::openapi_document()),
        support::generous_stage(),
    )
    .await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json(), json!({"message": "Internal server error"}));
}

#[tokio::test]
async fn an_integration_that_exceeds_its_timeout_is_504() {
    let mut document = support::openapi_document();
    document["paths"]["/staff/{id}"]["get"]["x-amazon-apigateway-integration"]["timeoutInMillis"] =
        json!(200);
    let lambda = StubLambda::start(Answer::Hang).await;
    let gateway = support::start_gateway(
        &lambda.url,
        support::api(document),
        support::generous_stage(),
    )
    .await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(reply.status, 504);
    assert_eq!(
        reply.json(),
        json!({"message": "Endpoint request timed out"})
    );
}

/// The repository's document with a 3 s integration timeout on GET /staff/{id}, so that the
/// gateway's wait for a hung function (its timeout plus the allowance for an instance's start,
/// ending 1 s before the integration timeout) is short.
fn short_integration_timeout() -> serde_json::Value {
    let mut document = support::openapi_document();
    document["paths"]["/staff/{id}"]["get"]["x-amazon-apigateway-integration"]["timeoutInMillis"] =
        json!(3000);
    document
}

/// Lambda stops an invocation at the function's timeout with a `Sandbox.Timedout` function error
/// (AWS recording `test_lambda_invoke_with_timeout`), which API Gateway selects like any other
/// function error: the contract's catch-all, long before the integration's 29 s.
#[tokio::test]
async fn a_function_past_its_timeout_ends_as_a_function_error() {
    let lambda = StubLambda::start(Answer::Hang).await;
    let stage = support::stage_with_functions(json!({"timeoutSeconds": 1, "logLevel": "info"}));
    let gateway = support::start_gateway(
        &lambda.url,
        support::api(short_integration_timeout()),
        stage,
    )
    .await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"Status": 500, "ErrorReason": "Internal server error"}),
        "the contract's catch-all, not the gateway's own 500 or 504"
    );
}

/// When the function's process goes away mid-invocation, Lambda answers `Runtime.ExitError`
/// (AWS recording `test_lambda_handler_exit`), which the contract's catch-all answers 500; an
/// endpoint that cannot be reached at all stays API Gateway's own 500.
#[tokio::test]
async fn a_function_that_dies_mid_invocation_is_a_runtime_exit() {
    let (gateway, lambda) = gateway_answering(Answer::Crash).await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(lambda.calls().len(), 1, "the function got the invocation");
    assert_eq!(reply.status, 500, "{}", reply.body);
    assert_eq!(
        reply.json(),
        json!({"Status": 500, "ErrorReason": "Internal server error"})
    );
}

/// With its reserved concurrency in use, Lambda refuses an invocation (TooManyRequestsException)
/// and API Gateway answers 500 without retrying (Lambda developer guide, "Handling Lambda errors
/// with an API Gateway API"); the function never sees it.
#[tokio::test]
async fn an_invocation_beyond_reserved_concurrency_is_throttled() {
    let lambda = StubLambda::start(Answer::Hang).await;
    let stage = support::stage_with_functions(json!({
        "timeoutSeconds": 2,
        "logLevel": "info",
        "reservedConcurrency": {"staff-get": 1}
    }));
    let gateway = Arc::new(
        support::start_gateway(
            &lambda.url,
            support::api(short_integration_timeout()),
            stage,
        )
        .await,
    );
    let first = tokio::spawn({
        let gateway = Arc::clone(&gateway);
        async move { send(&gateway, "GET", "/staff/0001", None).await }
    });
    while lambda.calls().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let throttled = send(&gateway, "GET", "/staff/0002", None).await;
    assert_eq!(throttled.status, 500);
    assert_eq!(
        throttled.json(),
        json!({"message": "Internal server error"})
    );
    assert_eq!(lambda.calls().len(), 1, "a throttled invocation never runs");

    // Other functions have no reserved concurrency here.
    lambda.answer_with(Answer::Success(json!(null)));
    let other = send(&gateway, "PUT", "/staff/0001", Some(r#"{"age":1}"#)).await;
    assert_eq!(other.status, 200, "{}", other.body);

    assert_eq!(first.await.unwrap().status, 500, "the held one timed out");
    lambda.answer_with(Answer::Success(staff_0001()));
    let after = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(after.status, 200, "the slot is free again: {}", after.body);
}

#[tokio::test]
async fn the_key_bucket_admits_the_burst_then_answers_too_many_requests() {
    let lambda = StubLambda::start(Answer::Success(staff_0001())).await;
    // One token per 1000 s: nothing refills while the test runs.
    let stage = support::stage(
        json!({"rateLimit": 0.001, "burstLimit": 3}),
        json!({"limit": 100, "period": "DAY"}),
    );
    let gateway = support::start_gateway(
        &lambda.url,
        support::api(support::openapi_document()),
        stage,
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(send(&gateway, "GET", "/staff/0001", None).await);
    }
    assert_eq!(
        statuses
            .iter()
            .map(|reply| reply.status)
            .collect::<Vec<_>>(),
        [200, 200, 200, 429, 429]
    );
    assert_eq!(statuses[3].json(), json!({"message": "Too Many Requests"}));
    assert_eq!(
        statuses[3].header("x-amzn-errortype"),
        Some("TooManyRequestsException")
    );
    assert_eq!(lambda.calls().len(), 3);
}

#[tokio::test]
async fn the_quota_admits_its_limit_then_answers_limit_exceeded() {
    let lambda = StubLambda::start(Answer::Success(staff_0001())).await;
    let stage = support::stage(
        json!({"rateLimit": 1000, "burstLimit": 1000}),
        json!({"limit": 2, "period": "DAY"}),
    );
    let gateway = support::start_gateway(
        &lambda.url,
        support::api(support::openapi_document()),
        stage,
    )
    .await;
    assert_eq!(send(&gateway, "GET", "/staff/0001", None).await.status, 200);
    assert_eq!(send(&gateway, "GET", "/staff", None).await.status, 200);
    let spent = send(&gateway, "GET", "/staff/0002", None).await;
    assert_eq!(spent.status, 429);
    assert_eq!(spent.json(), json!({"message": "Limit Exceeded"}));
    assert_eq!(
        spent.header("x-amzn-errortype"),
        Some("LimitExceededException")
    );
}

#[tokio::test]
async fn missing_required_parameters_are_named() {
    let mut document = support::openapi_document();
    document["paths"]["/staff"]["get"]["parameters"][1]["required"] = json!(true);
    let lambda = StubLambda::start(Answer::Success(json!({"items": [], "next": null}))).await;
    let gateway = support::start_gateway(
        &lambda.url,
        support::api(document),
        support::generous_stage(),
    )
    .await;
    let reply = send(&gateway, "GET", "/staff", None).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.body,
        r#"{"message": "Missing required request parameters: [limit]"}"#
    );
    assert_eq!(
        send(&gateway, "GET", "/staff?limit=5", None).await.status,
        200
    );
}

#[tokio::test]
async fn the_banner_starts_with_the_address_and_lists_keys_and_routes() {
    let (gateway, _lambda) = gateway_answering(Answer::Success(json!(null))).await;
    let banner = gateway.banner();
    assert_eq!(
        banner[0],
        format!("local-gateway listening on http://{}", gateway.addr())
    );
    assert!(banner[1].starts_with(&format!("api key: {}", support::API_KEY)));
    let curl_lines = banner
        .iter()
        .filter(|line| line.starts_with("curl "))
        .count();
    assert_eq!(curl_lines, 5);
    assert!(
        banner
            .iter()
            .any(|line| line.contains("-X PUT") && line.ends_with("/staff/0001"))
    );
}

#[tokio::test]
async fn templates_see_context_and_stage() {
    let mut document = support::openapi_document();
    let context_template = r#"{"requestId": "$context.requestId", "stage": "$context.stage",
        "resourcePath": "$context.resourcePath", "httpMethod": "$context.httpMethod",
        "sourceIp": "$context.identity.sourceIp", "apiKey": "$context.identity.apiKey",
        "apiKeyId": "$context.identity.apiKeyId", "epoch": $context.requestTimeEpoch}"#;
    document["paths"]["/staff/{id}"]["get"]["x-amazon-apigateway-integration"]["requestTemplates"]
        ["application/json"] = json!(context_template);
    let lambda = StubLambda::start(Answer::Success(staff_0001())).await;
    let gateway = support::start_gateway(
        &lambda.url,
        support::api(document),
        support::generous_stage(),
    )
    .await;
    let reply = send(&gateway, "GET", "/staff/0001", None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let context = lambda.only_call().event_json();
    assert_eq!(
        context["requestId"],
        reply.header("x-amzn-requestid").unwrap()
    );
    assert_eq!(context["stage"], "test");
    assert_eq!(context["resourcePath"], "/staff/{id}");
    assert_eq!(context["httpMethod"], "GET");
    assert_eq!(context["sourceIp"], "127.0.0.1");
    assert_eq!(context["apiKey"], support::API_KEY);
    assert_eq!(context["apiKeyId"], gateway.api_keys()[0].id);
    assert!(context["epoch"].as_i64().unwrap() > 1_700_000_000_000);
}
