//! CORS: only the profile's allowed origins are answered, each by echoing exactly that one origin;
//! any other origin gets no Access-Control-Allow-Origin and may not post.

use crate::edge_support::{client, shared, unique_email, Encoding, Reply};

/// The `contact` profile lists three origins; the middle one is used so that a first-entry or
/// joined-list answer would show.
const ALLOWED: &str = "https://shop.example.com";
const REFUSED: &str = "https://evil.example.net";

fn preflight(form: &str, origin: &str) -> Reply {
    let edge = shared();
    edge.send(
        client()
            .request(reqwest::Method::OPTIONS, edge.url(&format!("/f/{form}")))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type"),
    )
}

/// Posts `fields` to `form` from `origin`, asking for JSON as the widget does.
fn post_from(form: &str, origin: &str, fields: &[(&str, &str)]) -> Reply {
    shared().post_with(
        form,
        &[("Origin", origin), ("Accept", "application/json")],
        fields,
        Encoding::UrlEncoded,
    )
}

/// Asserts the JSON 403 of a refused origin, and [`assert_not_allowed`].
fn assert_refused(reply: &Reply, marker: &str) {
    reply.assert_issues(403, &["origin.forbidden"]);
    assert_not_allowed(reply, marker);
}

/// Asserts that the answer allows no origin and that nothing carrying `marker` was forwarded.
fn assert_not_allowed(reply: &Reply, marker: &str) {
    assert!(allow_origin_values(reply).is_empty());
    shared().assert_not_forwarded(marker);
}

fn allow_origin_values(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("access-control-allow-origin")
        .iter()
        .map(|value| value.to_str().unwrap().to_string())
        .collect()
}

fn varies_on_origin(reply: &Reply) -> bool {
    reply.headers.get_all("vary").iter().any(|value| {
        value
            .to_str()
            .unwrap()
            .split(',')
            .any(|item| item.trim().eq_ignore_ascii_case("origin"))
    })
}

#[test]
fn preflight_from_an_allowed_origin_echoes_exactly_that_origin() {
    for origin in ["https://www.example.com", ALLOWED, "http://localhost:8787"] {
        let reply = preflight("contact", origin);
        assert_eq!(reply.status, 204, "{origin}: {}", reply.body);
        assert_eq!(allow_origin_values(&reply), [origin]);
        let methods = reply.header("access-control-allow-methods").unwrap();
        assert!(methods.contains("POST"), "{methods}");
        let headers = reply
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        assert!(headers.contains("content-type"), "{headers}");
        assert!(varies_on_origin(&reply));
    }
}

#[test]
fn preflight_from_a_refused_origin_gets_no_cors_headers() {
    for origin in [
        REFUSED,
        "null",
        "https://shop.example.com.evil.example",
        "http://shop.example.com",
    ] {
        let reply = preflight("contact", origin);
        assert_eq!(reply.status, 403, "{origin}");
        assert!(allow_origin_values(&reply).is_empty(), "{origin}");
        assert!(reply.header("access-control-allow-methods").is_none());
    }
    // A profile without allowed origins answers no origin at all.
    let reply = preflight("plain", ALLOWED);
    assert_eq!(reply.status, 403);
    assert!(allow_origin_values(&reply).is_empty());
}

#[test]
fn preflight_for_an_unknown_form_is_404() {
    let reply = preflight("no-such-form", ALLOWED);
    assert_eq!(reply.status, 404);
    assert!(allow_origin_values(&reply).is_empty());
}

#[test]
fn post_from_an_allowed_origin_is_delivered_and_readable() {
    let edge = shared();
    let email = unique_email("cors");
    let reply = post_from("contact", ALLOWED, &[("email", &email)]);
    reply.assert_delivered();
    assert_eq!(allow_origin_values(&reply), [ALLOWED]);
    assert!(varies_on_origin(&reply));
    edge.forwarded(&email);
}

#[test]
fn post_from_a_refused_origin_is_403_and_not_forwarded() {
    let edge = shared();
    let email = unique_email("evil");
    let reply = post_from("contact", REFUSED, &[("email", &email)]);
    assert_refused(&reply, &email);

    // The same page posting natively is refused too, with an HTML page.
    let reply = edge.post_with(
        "contact",
        &[("Origin", REFUSED)],
        &[("email", &email)],
        Encoding::UrlEncoded,
    );
    reply.assert_status(403);
    assert!(reply.header("location").is_none());
    assert_not_allowed(&reply, &email);
}

#[test]
fn refused_answers_to_an_allowed_origin_are_readable_by_it() {
    let reply = post_from("contact", ALLOWED, &[("email", "not-an-email")]);
    reply.assert_issues(422, &["email.format"]);
    assert_eq!(allow_origin_values(&reply), [ALLOWED]);
}

#[test]
fn same_origin_posts_pass_without_being_listed() {
    let edge = shared();
    let email = unique_email("sameorigin");
    post_from("plain", &edge.worker.url(), &[("email", &email)]).assert_delivered();
    edge.forwarded(&email);
}

#[test]
fn a_profile_without_allowed_origins_refuses_cross_origin_posts() {
    let email = unique_email("nolist");
    let reply = post_from("plain", ALLOWED, &[("email", &email)]);
    assert_refused(&reply, &email);
}
