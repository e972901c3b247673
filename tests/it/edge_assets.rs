//! The worker serves the widget's files from its static assets, with the right content types and
//! cache rules (widget/pkg/_headers, written by `cargo xtask build-widget`).

use crate::edge_support::{client, shared, Edge};

/// `GET path` (from a page on `origin`, if given), asserting a 200; returns a header reader.
fn fetch(edge: &Edge, path: &str, origin: Option<&str>) -> impl Fn(&str) -> String {
    let mut request = client().get(edge.url(path));
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let response = request.send().expect("the worker answers");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    let headers = response.headers().clone();
    move |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

#[test]
fn the_widget_files_are_served_with_their_types_and_cache_rules() {
    let edge = shared();
    for (path, content_type) in [
        ("/closem.js", "javascript"),
        ("/closem_bg.wasm", "application/wasm"),
    ] {
        let header = fetch(edge, path, None);
        assert!(
            header("content-type").contains(content_type),
            "{path}: {}",
            header("content-type")
        );
        let cache = header("cache-control");
        assert!(
            cache.contains("max-age=300"),
            "{path}: cache-control {cache:?}"
        );
        assert!(
            cache.contains("stale-while-revalidate"),
            "{path}: cache-control {cache:?}"
        );
    }
}

/// The version and script integrity `cargo xtask build-widget` recorded.
fn release() -> (String, String) {
    let path = closem_tests::workerd::workspace_root().join("target/widget-release.txt");
    let text = std::fs::read_to_string(&path)
        .expect("target/widget-release.txt is missing: run `cargo xtask build-widget`");
    let mut lines = text.lines().map(str::to_string);
    (
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    )
}

#[test]
fn the_widget_files_are_public_to_every_origin_and_the_versioned_ones_immutable() {
    let edge = shared();
    let (version, _) = release();
    let versioned_js = format!("/v/{version}/closem.js");
    let versioned_wasm = format!("/v/{version}/closem_bg.wasm");
    for path in [
        "/closem.js",
        "/closem_bg.wasm",
        versioned_js.as_str(),
        versioned_wasm.as_str(),
    ] {
        let header = fetch(edge, path, Some("https://customer.example"));
        assert_eq!(header("access-control-allow-origin"), "*", "{path}");
        assert_eq!(
            header("cross-origin-resource-policy"),
            "cross-origin",
            "{path}"
        );
        let cache = header("cache-control");
        if path.starts_with("/v/") {
            assert!(
                cache.contains("max-age=31536000") && cache.contains("immutable"),
                "{path}: cache-control {cache:?}"
            );
        } else {
            assert!(cache.contains("max-age=300"), "{path}: {cache:?}");
        }
    }
    let bytes = |path: &str| {
        client()
            .get(edge.url(path))
            .send()
            .and_then(|response| response.bytes())
            .expect("the worker answers")
    };
    assert_eq!(
        bytes("/closem.js"),
        bytes(&versioned_js),
        "the moving and the versioned script are one build"
    );
    let script = String::from_utf8_lossy(&bytes("/closem.js")).into_owned();
    assert!(
        script.contains(&format!("/v/{version}/closem_bg.wasm")),
        "the script loads its own version's wasm"
    );
}
