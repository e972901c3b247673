//! The built worker starts in workerd and reports its configuration on `GET /health`.

use closem_tests::workerd::{Workerd, WorkerdOptions};

fn options(api_key: Option<&str>) -> WorkerdOptions {
    WorkerdOptions {
        api_key: api_key.map(str::to_string),
        base_url: "http://127.0.0.1:9/".into(),
        timezone: "America/New_York".into(),
        forms: serde_json::json!({}),
    }
}

/// The `version` line of edge/Cargo.toml, which the worker reports.
fn edge_version() -> String {
    let manifest =
        std::fs::read_to_string(closem_tests::workerd::workspace_root().join("edge/Cargo.toml"))
            .unwrap();
    let line = manifest
        .lines()
        .find(|line| line.starts_with("version = "))
        .unwrap();
    line.trim_start_matches("version = ")
        .trim_matches('"')
        .to_string()
}

#[test]
fn health_answers_with_version_and_never_the_key() {
    let key = "test-key-health-7f3a";
    let worker = Workerd::start(options(Some(key)));
    let response = reqwest::blocking::get(format!("{}/health", worker.url())).unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["version"], edge_version());
    assert_eq!(body["api_key"], "set");
    assert!(!body.to_string().contains(key));
    assert!(
        !worker.log().contains(key),
        "wrangler log shows the key:\n{}",
        worker.log()
    );
}

#[test]
fn health_reports_a_missing_key_as_unavailable() {
    let worker = Workerd::start(options(None));
    let response = reqwest::blocking::get(format!("{}/health", worker.url())).unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["api_key"], "missing");
}
