//! The customer site's embed pages: one plain form (`#embed-form`, its email `#embed-email`,
//! posting to the `shopify` profile) in pages that differ only in how they load the widget, for
//! the strict-CSP, cross-origin, pinned and start-up tests. The site (`site.rs`) serves them at
//! their paths (`/csp-allowed.html`, ...) as if they were files of `tests/site/`, templated like
//! its other pages and with the policy of a `.csp` file there beside their path; xtask's doctor
//! tests compile this file in (by `#[path]`) to diagnose the same markup.

/// One embed page: its URL path, title, and the markup of its head that loads the widget.
struct Embed {
    path: &'static str,
    title: &'static str,
    head: &'static str,
}

const EMBEDS: &[Embed] = &[
    Embed {
        path: "/crossorigin.html",
        title: "Moving URL with crossorigin",
        head: r#"  <!-- The moving URL with a crossorigin attribute (a CORS request for the script itself). -->
  <script src="{{FORMS}}/closem.js" crossorigin="anonymous" defer></script>"#,
    },
    Embed {
        path: "/csp-allowed.html",
        title: "Strict CSP that allows the widget",
        head: r#"  <!-- Served with the policy in csp-allowed.html.csp: exactly the directives docs.html lists. -->
  <script src="{{FORMS}}/closem.js" defer></script>"#,
    },
    Embed {
        path: "/csp-nowasm.html",
        title: "Strict CSP without wasm-unsafe-eval",
        head: r#"  <!-- Served with the policy in csp-nowasm.html.csp: the same, less 'wasm-unsafe-eval', so the widget cannot compile its module and the form posts natively. -->
  <script src="{{FORMS}}/closem.js" defer></script>"#,
    },
    Embed {
        path: "/pinned.html",
        title: "Pinned widget",
        head: r#"  <!-- The pinned embed `cargo xtask build-widget` prints and the docs show: the wasm preloaded
       beside the script, both versioned, immutable and pinned with Subresource Integrity. -->
  <link rel="preload" href="{{FORMS}}/v/{{VERSION}}/closem_bg.wasm" as="fetch" type="application/wasm" integrity="{{WASM_INTEGRITY}}" crossorigin="anonymous">
  <script src="{{FORMS}}/v/{{VERSION}}/closem.js" integrity="{{INTEGRITY}}" crossorigin="anonymous" defer></script>"#,
    },
    Embed {
        path: "/startup.html",
        title: "Widget start-up",
        head: r#"  <!-- The widget loaded from this site itself (which can hold its wasm back), posting to the
       worker named by data-endpoint. -->
  <script src="/closem.js" data-endpoint="{{FORMS}}" defer></script>"#,
    },
];

/// The one form every embed page holds.
const FORM: &str = r#"<form id="embed-form" data-closem="shopify" action="{{FORMS}}/f/shopify" method="post">
  <label for="embed-email">Email</label>
  <input id="embed-email" name="email" type="email" required>
  <button type="submit">Send</button>
</form>"#;

/// The embed page at URL `path` (not yet templated), or `None` when no embed page is there.
pub(crate) fn page(path: &str) -> Option<String> {
    let embed = EMBEDS.iter().find(|embed| embed.path == path)?;
    Some(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>{}</title>\n{}\n</head>\n<body>\n{FORM}\n</body>\n</html>\n",
        embed.title, embed.head
    ))
}
