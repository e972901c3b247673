//! Campaign attribution (issue 13): touches decoded and capped, the notes block, and the
//! profile's rules adding tags and lists from allow-listed values only.

use closem_shared::attribution::{Attribution, Touch, MAX_VALUE};
use closem_shared::{Forms, Referral, Submission};

use crate::ctx;

#[test]
fn touches_keep_known_keys_with_valid_values_capped() {
    let long = "x".repeat(MAX_VALUE + 50);
    let touch = Touch::decode(&format!(
        "utm_source=google&utm_medium=cpc&utm_campaign=spring%20sale&gclid={long}\
         &tags=71&mode=runsequence&ref=WWW.Google.com&path=/pricing%3Femail%3Da%40b.co&at=1764581400\
         &utm_term=%01bad&utm_source=bing"
    ));
    assert_eq!(
        touch.get("utm_source"),
        Some("google"),
        "the first value wins"
    );
    assert_eq!(touch.get("utm_campaign"), Some("spring sale"));
    assert_eq!(touch.get("gclid").map(str::len), Some(MAX_VALUE));
    assert_eq!(
        touch.get("utm_term"),
        None,
        "control characters are refused"
    );
    assert_eq!(touch.get("tags"), None, "only campaign keys are read");
    assert_eq!(touch.get("mode"), None);
    assert_eq!(touch.referrer.as_deref(), Some("www.google.com"));
    assert_eq!(
        touch.landing.as_deref(),
        Some("/pricing"),
        "the query may hold personal data"
    );
    assert_eq!(touch.at, Some(1_764_581_400));
    assert!(Touch::decode("ref=<script>&path=javascript:x&at=-5").is_empty());
    assert!(
        Touch::decode(&"utm_source=a&".repeat(1000)).is_empty(),
        "oversized"
    );
}

#[test]
fn native_posts_carry_hidden_inputs_and_the_referers_query_and_path() {
    let pairs = [("utm_source", "newsletter"), ("email", "ann@example.com")];
    let touch = Touch::from_post(
        &pairs,
        Some("https://www.example.com/pricing?utm_source=google&utm_campaign=spring%20sale&email=a@b.co#top"),
    );
    assert_eq!(
        touch.get("utm_source"),
        Some("newsletter"),
        "the hidden input wins"
    );
    assert_eq!(touch.get("utm_campaign"), Some("spring sale"));
    assert_eq!(touch.get("email"), None);
    assert_eq!(touch.landing.as_deref(), Some("/pricing"));
    assert_eq!(
        touch.referrer, None,
        "a post's Referer is the form's own page"
    );
    assert!(Touch::from_post(
        &[("email", "a@b.co")],
        Some("https://www.example.com/contact")
    )
    .is_empty());
}

#[test]
fn the_notes_block_is_readable() {
    let attribution = Attribution {
        first: Touch::decode(
            "utm_source=google&utm_medium=cpc&ref=www.google.com&path=/pricing&at=1764581400",
        ),
        last: Touch::decode("utm_source=newsletter&at=1764667800"),
    };
    assert_eq!(
        attribution.notes_block().as_deref(),
        Some(
            "attribution (first touch): utm_source=google, utm_medium=cpc, referrer=www.google.com, \
             landing=/pricing, at=2025-12-01 09:30 UTC\n\
             attribution (last touch): utm_source=newsletter, at=2025-12-02 09:30 UTC"
        )
    );
    assert_eq!(Attribution::default().notes_block(), None);
}

const FORMS: &str = r#"{
    "lead": {
        "mode": "addcontact",
        "tags": [5],
        "attribution": {
            "rules": [
                { "when": { "utm_source": "google" }, "tags": [71] },
                { "when": { "utm_source": ["facebook", "instagram"], "utm_medium": "paid" }, "contact_lists": [9] }
            ]
        }
    },
    "plain": { "mode": "addcontact", "unmapped": "notes" }
}"#;

fn accept(form: &str, pairs: &[(&str, &str)], referer: Option<&str>) -> Submission {
    let forms = Forms::from_json_str(FORMS).unwrap_or_else(|errors| panic!("{errors:?}"));
    let referral = Referral {
        referer: referer.map(str::to_owned),
    };
    forms
        .get(form)
        .expect("form")
        .accept_from(pairs, &ctx(), &referral)
        .unwrap_or_else(|issues| panic!("{issues:?}"))
        .submission
}

fn fields(submission: &Submission) -> Vec<(&'static str, String)> {
    submission.encode()
}

fn field<'a>(fields: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.as_str())
}

#[test]
fn rules_add_tags_and_lists_for_allow_listed_values() {
    let google = accept(
        "lead",
        &[
            ("email", "ann@example.com"),
            ("notes", "call me"),
            ("_closem_first", "utm_source=Google&path=/ads"),
            ("_closem_last", "utm_source=facebook&utm_medium=paid"),
        ],
        None,
    );
    let sent = fields(&google);
    assert_eq!(field(&sent, "tags"), Some("5,71"));
    assert_eq!(field(&sent, "contactlists"), Some("9"));
    let notes = field(&sent, "notes").unwrap_or_default();
    assert!(
        notes.starts_with("call me\n\nattribution (first touch): utm_source=Google, landing=/ads"),
        "{notes}"
    );
    assert!(
        notes.contains("attribution (last touch): utm_source=facebook, utm_medium=paid"),
        "{notes}"
    );

    // Visitors cannot name tags or lists: only values, and only allow-listed ones count.
    let other = accept(
        "lead",
        &[
            ("email", "ann@example.com"),
            ("tags", "99"),
            ("_closem_last", "utm_source=bing&tags=98&contact_lists=97"),
        ],
        None,
    );
    let sent = fields(&other);
    assert_eq!(field(&sent, "tags"), Some("5"));
    assert_eq!(field(&sent, "contactlists"), None);
}

#[test]
fn native_posts_attribute_hidden_inputs_and_the_referer() {
    let submission = accept(
        "lead",
        &[("email", "ann@example.com"), ("gclid", "abc123")],
        Some("https://www.example.com/ads?utm_source=google"),
    );
    let sent = fields(&submission);
    assert_eq!(field(&sent, "tags"), Some("5,71"));
    assert_eq!(
        field(&sent, "notes"),
        Some("attribution (last touch): utm_source=google, gclid=abc123, landing=/ads")
    );
}

#[test]
fn without_the_setting_nothing_is_attributed() {
    let submission = accept(
        "plain",
        &[
            ("email", "ann@example.com"),
            ("_closem_last", "utm_source=google"),
            ("utm_source", "google"),
        ],
        Some("https://www.google.com/"),
    );
    // The hidden input stays an unmapped field (here: noted as such), as before.
    assert_eq!(
        field(&fields(&submission), "notes"),
        Some("utm_source: google")
    );
}

#[test]
fn the_configuration_checks_attribution_and_phone_settings() {
    let errors = Forms::from_json_str(
        r#"{
            "a": { "mode": "runsequence", "sequence_id": 1, "attribution": true },
            "b": { "mode": "addcontact", "attribution": { "rules": [ { "when": { "tags": "1" }, "tags": [2] }, { "when": {} } ] } },
            "c": { "mode": "addcontact", "phone": "worldwide", "default_country": "XX" },
            "d": { "mode": "addcontact", "default_country": "GB" }
        }"#,
    )
    .expect_err("invalid");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let text = text.join("\n");
    for expected in [
        "a.attribution: applies to addcontact profiles only",
        "b.attribution.rules[0].when.tags: unknown parameter",
        "b.attribution.rules[1].when: required",
        "b.attribution.rules[1]: a rule adds tags, contact_lists or both",
        "c.phone: use \"north_american\" or \"international\"",
        "c.default_country: use a country code of the phone table",
        "d.default_country: applies to \"phone\": \"international\" only",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    let forms = Forms::from_json_str(
        r#"{ "uk": { "mode": "addcontact", "phone": "international", "default_country": "gb" } }"#,
    )
    .expect("valid");
    let accepted = forms
        .get("uk")
        .expect("uk")
        .accept(&[("phone", "020 7946 0958")], &ctx())
        .expect("a UK number");
    assert_eq!(
        field(&fields(&accepted.submission), "phone"),
        Some("+442079460958")
    );
    let refused = forms
        .get("uk")
        .expect("uk")
        .accept(&[("phone", "020 7946")], &ctx());
    assert_eq!(
        refused.map(|_| ()).map_err(|issues| issues[0].code()),
        Err("phone.format".to_owned())
    );
}
