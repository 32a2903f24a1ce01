//! The gateway's loader against the file $ref contract it shares with the CDK app's loader
//! (tests/fixtures/file-refs: the same fixture infra/test/openapi.test.ts reads).

use std::path::{Path, PathBuf};

use local_gateway::file_refs::inline_file_refs;
use serde::Deserialize;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/file-refs")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

#[test]
fn the_shared_fixture_loads_into_exactly_its_inlined_form() {
    let mut document: Value = serde_yaml_ng::from_str(&read("openapi.yaml")).unwrap();
    inline_file_refs(&mut document, &fixtures()).unwrap();
    let expected: Value = serde_json::from_str(&read("inlined.json")).unwrap();
    assert_eq!(document, expected);
}

#[derive(Deserialize)]
struct Refusal {
    name: String,
    files: std::collections::BTreeMap<String, String>,
    message: String,
}

#[test]
fn the_shared_refusals_are_refused_with_their_message() {
    let refusals: Vec<Refusal> = serde_yaml_ng::from_str(&read("errors.yaml")).unwrap();
    assert!(refusals.len() >= 5);
    for refusal in refusals {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in &refusal.files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut document: Value = serde_yaml_ng::from_str(&refusal.files["openapi.yaml"]).unwrap();
        let error = inline_file_refs(&mut document, dir.path())
            .expect_err(&refusal.name)
            .to_string();
        assert!(
            error.contains(&refusal.message),
            "{}: {error:?} lacks {:?}",
            refusal.name,
            refusal.message
        );
    }
}
