//! An injection corpus in every field the API takes (bodies, query string, path). Requests are
//! built so that none may legitimately change data (writes target an existing id with POST, a
//! missing id with PUT, or carry an invalid field), so both databases' checksums must not move.

use std::sync::Arc;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::case;
use crate::support::{Case, Needs, Suite, assert_bad_request, assert_safe, new_staff_id};

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            Needs::AnyAlone,
            injection_corpus_changes_nothing_and_never_fails
        ),
        case!(Needs::Any, nul_byte_in_a_name_is_a_400),
    ]
}

/// PostgreSQL `text` cannot store U+0000, so a name holding it must be refused as invalid input.
async fn nul_byte_in_a_name_is_a_400(suite: Arc<Suite>) {
    let api = suite.api();
    let name = "nul\u{0}byte";
    let missing = new_staff_id();
    let post = api
        .post(
            "/staff",
            &json!({"id": new_staff_id(), "name": name, "age": 1}),
        )
        .await
        .unwrap();
    assert_bad_request(&post);
    let put = api
        .put(&format!("/staff/{missing}"), &json!({"name": name}))
        .await
        .unwrap();
    assert_bad_request(&put);
}

/// SQL, template and path tricks; each is sent in every field.
fn corpus() -> Vec<String> {
    let mut payloads: Vec<String> = [
        "' OR '1'='1",
        "'; DROP TABLE staff; --",
        "\"; DROP TABLE flightdata; --",
        "flightdata\" WHERE 1=1; --",
        "0001' --",
        "0001'; DELETE FROM staff WHERE '1'='1",
        "1; SELECT pg_sleep(5)",
        "' UNION SELECT id, name, age FROM staff --",
        "$$; TRUNCATE staff; $$",
        "\\'; UPDATE staff SET name='x'; --",
        "public.flightdata",
        "pg_catalog.pg_tables",
        ":id",
        "$1",
        "%27%20OR%201%3D1",
        "#set($x = 1)$x${x}",
        "$input.body",
        "{\"Status\":200}",
        "\") ; COMMIT; DROP TABLE staff; --",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "Ωmega'😀--",
        "line\nbreak'; --",
        "tab\t'quote",
        // "nul\u{0}byte" has its own case: it must be a 400, not merely "not a 5xx".
        "",
        " ",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    payloads.push("'".repeat(3000));
    payloads
}

/// One request of the corpus: method, path and query, body, and whether it is a write.
struct Probe {
    method: &'static str,
    path: String,
    body: Option<String>,
}

fn probes(payload: &str, missing_id: &str) -> Vec<Probe> {
    let in_path = utf8_percent_encode(payload, NON_ALPHANUMERIC).to_string();
    let as_json = Value::String(payload.to_owned());
    let mut probes = vec![
        get(format!("/staff/{in_path}")),
        get(format!("/staff?id={in_path}")),
        get(format!("/staff?limit={in_path}")),
        get(format!("/staff?after={in_path}")),
        get(format!("/staff?limit=2&after={in_path}")),
    ];
    let writes = [
        (
            "POST",
            "/redshift_select".to_owned(),
            json!({"target_table": as_json}),
        ),
        (
            "POST",
            "/redshift_select".to_owned(),
            json!({"target_table": "flightdata", "schema": as_json}),
        ),
        // 0001 exists (seed): a valid POST is a 409, an invalid one a 400.
        (
            "POST",
            "/staff".to_owned(),
            json!({"id": as_json, "name": "Probe", "age": 1}),
        ),
        (
            "POST",
            "/staff".to_owned(),
            json!({"id": "0001", "name": as_json, "age": 1}),
        ),
        (
            "POST",
            "/staff".to_owned(),
            json!({"id": "0001", "name": "Probe", "age": as_json}),
        ),
        // A missing id: a valid PUT is a 404.
        (
            "PUT",
            format!("/staff/{missing_id}"),
            json!({"name": as_json}),
        ),
        (
            "PUT",
            format!("/staff/{missing_id}"),
            json!({"age": as_json}),
        ),
        ("PUT", format!("/staff/{in_path}"), json!({"name": "Probe"})),
    ];
    probes.extend(writes.into_iter().map(|(method, path, body)| Probe {
        method,
        path,
        body: Some(body.to_string()),
    }));
    probes
}

fn get(path: String) -> Probe {
    Probe {
        method: "GET",
        path,
        body: None,
    }
}

async fn injection_corpus_changes_nothing_and_never_fails(suite: Arc<Suite>) {
    let before = match &suite.target.local {
        Some(local) => Some(local.databases.checksums().await.unwrap()),
        None => {
            eprintln!("e2e: injection corpus: no database checksum against a deployed stage");
            None
        }
    };
    let missing_id = new_staff_id();
    let mut failures = Vec::new();
    let all: Vec<Probe> = corpus()
        .iter()
        .flat_map(|payload| probes(payload, &missing_id))
        .collect();
    for batch in all.chunks(8) {
        let mut running = JoinSet::new();
        for probe in batch {
            let api = suite.api().clone();
            let (method, path, body) = (probe.method, probe.path.clone(), probe.body.clone());
            running.spawn(async move {
                let reply = api.send_raw(method, &path, body.as_deref()).await.unwrap();
                (method, path, body, reply)
            });
        }
        while let Some(done) = running.join_next().await {
            let (method, path, body, reply) = done.unwrap();
            // A count may legitimately answer 200 (an empty schema means public).
            let is_write = method != "GET" && !path.starts_with("/redshift_select");
            if reply.status >= 500 || (is_write && reply.status < 300) {
                failures.push(format!("{method} {path} {body:?} -> {reply}"));
            }
            assert_safe(&reply);
        }
    }
    assert!(
        failures.is_empty(),
        "{} probes answered 5xx or changed data:\n{}",
        failures.len(),
        failures.join("\n")
    );
    if let (Some(before), Some(local)) = (before, &suite.target.local) {
        let after = local.databases.checksums().await.unwrap();
        assert_eq!(before, after, "the corpus changed a database");
    }
}
