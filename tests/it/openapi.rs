//! The committed `openapi.json` is what the handlers generate, and it documents errors.

use serde_json::Value;

#[test]
fn committed_spec_matches_the_handlers() {
    let generated = baton::cli::openapi_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    if std::env::var_os("BATON_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated,
        "openapi.json is out of date: run `cargo run -q -- openapi > openapi.json`"
    );
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let spec: Value = serde_json::from_str(&baton::cli::openapi_json()).unwrap();
    let mut operation_ids = std::collections::HashSet::new();
    let mut missing = vec![];
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(operation_ids.insert(format!("{path} {id}")), "{method} {path}");
            assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path} has no success");
            if path.starts_with("/v1/") {
                for status in ["401", "500", "503"] {
                    assert!(responses.contains_key(status), "{method} {path} does not document {status}");
                }
                assert!(operation["security"].is_array(), "{method} {path} names no key");
                let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
                let named = |name: &str| parameters.iter().any(|p| p["name"] == name);
                // What the shared layers and extractors can answer, whatever the handler does.
                let mut expected = vec![];
                if named("Idempotency-Key") {
                    expected.extend(["400", "409", "422"]); // malformed, in flight, reused
                }
                if operation["requestBody"].is_object() {
                    expected.extend(["400", "413", "415", "422"]);
                }
                if path.contains('{') {
                    expected.extend(["400", "404"]);
                }
                for status in expected {
                    if !responses.contains_key(status) {
                        missing.push(format!("{method} {path} {status}"));
                    }
                }
                for (status, response) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented error statuses: {missing:#?}");
}
