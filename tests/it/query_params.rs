//! Every query parameter the OpenAPI document lists is one its endpoint reads, and a parameter
//! it does not list is refused: integrators generate clients from the document, so a filter
//! documented and ignored (or read and undocumented) would mislead them.

use serde_json::Value;

use crate::helpers::TestApp;

const UNKNOWN: &str = "is not a known parameter";

#[tokio::test]
async fn documented_query_parameters_are_read_and_others_refused() {
    let app = TestApp::new().await;
    let spec: Value = serde_json::from_str(&baton::cli::openapi_json()).unwrap();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        // A stream that accepts its parameters never ends; tests/it/stream.rs covers its filters.
        let Some(operation) = item.get("get").filter(|_| !path.ends_with("/stream")) else { continue };
        let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
        let names: Vec<&str> =
            parameters.iter().filter(|p| p["in"] == "query").map(|p| p["name"].as_str().unwrap()).collect();
        if names.is_empty() {
            continue;
        }
        let url =
            path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        // Required parameters given (any value will do for the ones this checks), so the
        // refusal can only be for the unknown one.
        let required: String = parameters
            .iter()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .map(|p| format!("{}=1&", p["name"].as_str().unwrap()))
            .collect();
        let refused = app.get(&format!("{url}?{required}no_such_parameter=1")).await;
        if matches!(refused.status.as_u16(), 401 | 403) {
            continue; // not the server key's to read (member, visitor or admin endpoints)
        }
        if refused.status.as_u16() != 400 && !path.starts_with("/v1/") {
            continue; // seed endpoints that ignore parameters they do not know, as their documents do
        }
        assert_eq!(refused.status.as_u16(), 400, "GET {path} took an unknown parameter");
        assert!(refused.body["detail"].as_str().unwrap().contains(UNKNOWN), "GET {path}: {}", refused.body);
        for name in names {
            let response = app.get(&format!("{url}?{name}=")).await;
            let detail = response.body["detail"].as_str().unwrap_or_default();
            assert!(!detail.contains(UNKNOWN), "GET {path} documents `{name}` but does not read it");
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} parameters were checked");
}
