//! Every visitor and every campaign at the edge (issue 13): international phones forwarded in
//! E.164, answers in the visitor's language (the widget's `_closem_lang`, else
//! `Accept-Language`, native pages included), and the attribution block and rule tags that reach
//! CLOSEM, with visitors never naming a tag or list.

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::edge_support::{assert_fields, client, unique_email, value_of, Edge, Encoding};

fn edge() -> &'static Edge {
    static EDGE: OnceLock<Edge> = OnceLock::new();
    EDGE.get_or_init(|| Edge::start(profiles()))
}

fn profiles() -> Value {
    json!({
        "world": { "mode": "addcontact", "phone": "international", "default_country": "GB" },
        "anywhere": { "mode": "addcontact", "phone": "international" },
        "usa": { "mode": "addcontact" },
        "campaign": {
            "mode": "addcontact",
            "tags": [5],
            "attribution": {
                "rules": [
                    { "when": { "utm_source": "google" }, "tags": [71] },
                    { "when": { "utm_source": ["facebook", "instagram"], "utm_medium": "paid" }, "contact_lists": [9] }
                ]
            }
        }
    })
}

fn message_of(reply: &crate::edge_support::Reply, code: &str) -> String {
    let body = reply.json();
    body["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|issue| issue["code"] == code)
        .and_then(|issue| issue["message"].as_str())
        .unwrap_or_else(|| panic!("no {code} in {body}"))
        .to_string()
}

#[test]
fn international_numbers_reach_closem_in_e164() {
    let edge = edge();
    for (form, phone, e164) in [
        ("world", "020 7946 0958", "+442079460958"),
        ("world", "+49 30 1234567", "+49301234567"),
        ("world", "0044 7700 900123", "+447700900123"),
        ("anywhere", "+55 11 91234-5678", "+5511912345678"),
        ("anywhere", "+1 (415) 555-2671", "+14155552671"),
    ] {
        let email = unique_email("intl-phone");
        edge.post(form, &[("email", &email), ("phone", phone)])
            .assert_delivered();
        let fields = edge.forwarded(&email);
        assert_eq!(value_of(&fields, "phone"), e164, "{phone} on {form}");
    }
}

#[test]
fn each_rule_refuses_what_it_does_not_take_with_its_own_message() {
    let edge = edge();
    let email = unique_email("intl-refused");
    let reply = edge.post("usa", &[("email", &email), ("phone", "+44 20 7946 0958")]);
    reply.assert_issues(422, &["phone.format"]);
    assert_eq!(
        message_of(&reply, "phone.format"),
        "phone must look like +1 (555) 444-3333"
    );
    // The numbering plan: no exchange starts with 0 or 1.
    edge.post("usa", &[("email", &email), ("phone", "+1 (555) 044-3333")])
        .assert_issues(422, &["phone.format"]);
    for phone in ["+44 20 7946", "7946 0958 1234 5", "+999 1234 5678"] {
        let reply = edge.post("world", &[("email", &email), ("phone", phone)]);
        reply.assert_issues(422, &["phone.format"]);
        assert!(
            message_of(&reply, "phone.format").contains("country code"),
            "{}",
            reply.body
        );
    }
    // A national number needs the profile's default country.
    edge.post("anywhere", &[("email", &email), ("phone", "020 7946 0958")])
        .assert_issues(422, &["phone.format"]);
    edge.assert_not_forwarded(&email);
}

#[test]
fn the_widget_names_the_language_of_the_answer() {
    let edge = edge();
    for (lang, expected) in [
        (
            "es",
            "escribe un correo electrónico como nombre@ejemplo.com",
        ),
        ("fr-CA", "saisissez une adresse e-mail comme nom@exemple.fr"),
        (
            "de",
            "geben Sie eine E-Mail-Adresse wie name@beispiel.de ein",
        ),
        ("pt-BR", "escreva um e-mail como nome@exemplo.pt"),
        ("en", "enter an email address like name@example.com"),
        ("it", "enter an email address like name@example.com"),
    ] {
        let reply = edge.post(
            "usa",
            &[("email", "nobody-at-example"), ("_closem_lang", lang)],
        );
        reply.assert_issues(422, &["email.format"]);
        assert_eq!(message_of(&reply, "email.format"), expected, "{lang}");
    }
    // The field wins over the browser's Accept-Language; the rule's message is translated too.
    let reply = edge.post_with(
        "world",
        &[
            ("Accept", "application/json"),
            ("Accept-Language", "fr-FR,fr;q=0.9"),
        ],
        &[("phone", "12"), ("_closem_lang", "de")],
        Encoding::Multipart,
    );
    reply.assert_issues(422, &["phone.format"]);
    assert_eq!(
        message_of(&reply, "phone.format"),
        "geben Sie die Telefonnummer mit Ländervorwahl ein, etwa +49 30 123456"
    );
}

#[test]
fn native_posts_and_their_pages_follow_accept_language() {
    let edge = edge();
    let reply = edge.post_with(
        "usa",
        &[
            ("Accept", "text/html"),
            ("Accept-Language", "es-MX,es;q=0.9,en;q=0.5"),
        ],
        &[("email", "nobody-at-example")],
        Encoding::UrlEncoded,
    );
    reply.assert_status(422);
    reply.assert_body_has("<html lang=\"es\">");
    reply.assert_body_has("Revisa el formulario");
    reply.assert_body_has("escribe un correo electrónico como nombre@ejemplo.com");
    // Form-level answers too.
    let missing = edge.send(
        client()
            .post(edge.url("/f/no-such-form"))
            .header("Accept", "application/json")
            .header("Accept-Language", "pt-PT"),
    );
    assert_eq!(missing.status, 404);
    assert_eq!(
        message_of(&missing, "form.unknown"),
        "não existe nenhum formulário com este id"
    );
    let thanks = edge.send(
        client()
            .get(edge.url("/thanks"))
            .header("Accept-Language", "de-DE,de;q=0.9"),
    );
    assert_eq!(thanks.status, 200);
    thanks.assert_body_has("Vielen Dank!");
    assert_eq!(thanks.header("vary"), Some("Accept-Language"));
}

#[test]
fn attribution_reaches_the_notes_and_rules_add_only_the_profiles_tags_and_lists() {
    let edge = edge();
    let email = unique_email("intl-attribution");
    edge.post(
        "campaign",
        &[
            ("email", &email),
            ("notes", "call me after 5"),
            // A visitor naming tags or lists is ignored, in the fields and in the touches.
            ("tags", "99"),
            ("contact_lists", "98"),
            (
                "_closem_first",
                "utm_source=google&utm_medium=cpc&utm_campaign=spring&ref=www.google.com&path=/pricing&at=1764581400&tags=97",
            ),
            ("_closem_last", "utm_source=facebook&utm_medium=paid&path=/demo&at=1764667800"),
        ],
    )
    .assert_delivered();
    let fields = edge.forwarded(&email);
    assert_fields(
        &fields,
        &[
            ("mode", "addcontact"),
            ("email", &email),
            (
                "notes",
                "call me after 5\n\n\
                 attribution (first touch): utm_source=google, utm_medium=cpc, utm_campaign=spring, \
                 referrer=www.google.com, landing=/pricing, at=2025-12-01 09:30 UTC\n\
                 attribution (last touch): utm_source=facebook, utm_medium=paid, landing=/demo, \
                 at=2025-12-02 09:30 UTC",
            ),
            ("tags", "5,71"),
            ("contactlists", "9"),
        ],
    );
}

#[test]
fn native_posts_are_attributed_from_hidden_inputs_and_the_referer() {
    let edge = edge();
    let email = unique_email("intl-native-attribution");
    edge.post_with(
        "campaign",
        &[
            ("Accept", "text/html"),
            (
                "Referer",
                "https://www.example.com/pricing?utm_source=google&utm_medium=cpc",
            ),
        ],
        &[("email", &email), ("gclid", "Cj0KCQ")],
        Encoding::UrlEncoded,
    )
    .assert_status(303);
    assert_fields(
        &edge.forwarded(&email),
        &[
            ("mode", "addcontact"),
            ("email", &email),
            (
                "notes",
                "attribution (last touch): utm_source=google, utm_medium=cpc, gclid=Cj0KCQ, landing=/pricing",
            ),
            ("tags", "5,71"),
        ],
    );
    // Values are capped and checked: an oversized or control-character value cannot get in.
    let email = unique_email("intl-capped");
    let long = "g".repeat(400);
    edge.post(
        "campaign",
        &[
            ("email", &email),
            (
                "_closem_last",
                &format!("utm_source={long}&utm_term=%07x&ref=<b>"),
            ),
        ],
    )
    .assert_delivered();
    let fields = edge.forwarded(&email);
    let notes = value_of(&fields, "notes");
    assert_eq!(
        notes,
        format!("attribution (last touch): utm_source={}", "g".repeat(150))
    );
    assert_eq!(value_of(&fields, "tags"), "5");
}
