//! The worker serves the widget's files from its static assets, with the right content types and
//! cache rules (widget/pkg/_headers, written by `cargo xtask build-widget`).

use crate::edge_support::{client, shared};

#[test]
fn the_widget_files_are_served_with_their_types_and_cache_rules() {
    let edge = shared();
    for (path, content_type) in [
        ("/closem.js", "javascript"),
        ("/closem_bg.wasm", "application/wasm"),
    ] {
        let response = client()
            .get(edge.url(path))
            .send()
            .expect("the worker answers");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
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
