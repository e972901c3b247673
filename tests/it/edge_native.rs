//! Native form posts (no JavaScript, no `Accept: application/json`): a 303 to the profile's redirect
//! or to the hosted thank-you page, or an HTML page listing every problem, escaped.

use crate::edge_support::{client, shared, unique_email, Reply};

/// Asserts an HTML page with this status.
fn assert_html(reply: &Reply, status: u16) {
    reply.assert_status(status);
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(reply.body.starts_with("<!doctype html>"), "{}", reply.body);
}

/// Posts the urlencoded `body` to `/f/plain` as a browser without JavaScript does, with these
/// headers too.
fn post_body(headers: &[(&str, &str)], body: &'static str) -> Reply {
    let edge = shared();
    let request = client()
        .post(edge.url("/f/plain"))
        .header("Content-Type", "application/x-www-form-urlencoded");
    let request = headers.iter().fold(request, |request, (name, value)| {
        request.header(*name, *value)
    });
    edge.send(request.body(body))
}

/// Posts a valid lead to `form` natively and asserts the 303 to `location` and its delivery.
fn assert_redirected(form: &str, location: &str) {
    let edge = shared();
    let email = unique_email("native");
    let reply = edge.post_native(form, &[("email", &email)]);
    reply.assert_status(303);
    assert_eq!(reply.header("location"), Some(location));
    edge.forwarded(&email);
}

#[test]
fn native_success_redirects_to_the_profiles_redirect() {
    assert_redirected("contact", "https://www.example.com/thanks?from=closem");
}

#[test]
fn native_success_without_a_redirect_goes_to_the_hosted_thanks_page() {
    assert_redirected("plain", "/thanks");
    let edge = shared();
    let thanks = edge.send(client().get(edge.url("/thanks")));
    assert_html(&thanks, 200);
    thanks.assert_body_has("Thank you");
}

#[test]
fn native_bad_input_gets_a_422_page_listing_every_problem() {
    let edge = shared();
    let email = unique_email("nativebad");
    let reply = edge.post_native(
        "plain",
        &[
            ("phone", "12345"),
            ("email", "not-an-email"),
            ("fullname", &email),
        ],
    );
    assert!(reply.header("location").is_none());
    assert_html(&reply, 422);
    reply.assert_body_has("<li><code>phone</code>: phone must look like +1 (555) 444-3333</li>");
    reply.assert_body_has(
        "<li><code>email</code>: enter an email address like name@example.com</li>",
    );
    edge.assert_not_forwarded(&email);
}

#[test]
fn native_problem_page_escapes_what_the_visitor_controls() {
    let referer = "https://www.example.com/form?a=1&b=\"><script>alert(1)</script>";
    let reply = post_body(&[("Referer", referer)], "email=not-an-email");
    assert_html(&reply, 422);
    assert!(!reply.body.contains("<script>"), "{}", reply.body);
    reply.assert_body_has("href=\"https://www.example.com/form?a=1&amp;b=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"");

    // A field name is echoed when its value is not UTF-8.
    let reply = post_body(&[], "%3Cimg%20src%3Dx%20onerror%3D%22alert(1)%22%3E=%FF");
    assert_html(&reply, 400);
    assert!(!reply.body.contains("<img"), "{}", reply.body);
    reply.assert_body_has("<code>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</code>");
}

#[test]
fn native_errors_other_than_validation_are_html_pages_too() {
    let edge = shared();
    let unknown = edge.send(
        client()
            .post(edge.url("/f/no-such-form"))
            .form(&[("email", "a@b.co")]),
    );
    assert_html(&unknown, 404);

    let get = edge.send(client().get(edge.url("/f/contact")));
    assert_html(&get, 405);
}
