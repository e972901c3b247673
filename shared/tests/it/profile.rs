//! Server-side profiles: the `FORMS` configuration and the edge's accept pipeline.

use closem_shared::{Context, Forms, IssueKind, Mode};
use serde_json::json;

use crate::{ctx, render_fields, render_issues};

const FORMS: &str = r#"{
    "contact": {
        "mode": "addcontact",
        "upsert": true,
        "tags": [42, "57"],
        "contact_lists": "18, 32",
        "sequence_id": 99,
        "fields": { "your-email": "email", "your-phone": "Phone_Number", "message": "notes" },
        "required": ["fullname"],
        "allowed_origins": ["https://Example.com", "http://localhost:8787", "http://[::1]:8080"],
        "redirect": "https://example.com/thanks?from=form#top"
    },
    "strict": { "mode": "addcontact", "strict": true, "fields": { "your-email": "email" } },
    "notes": {
        "mode": "addcontact",
        "unmapped": "notes",
        "spam": {
            "honeypot": "website", "min_fill_ms": 1500, "turnstile_site_key": "0x4AAA",
            "turnstile_action": "lead_form-2", "turnstile_hostnames": ["WWW.Example.com", "localhost"]
        }
    },
    "sequence": { "mode": "runsequence", "sequence_id": "55", "fields": { "your-email": "email" } },
    "demo": { "mode": "scheduleappointment", "appointment_note": "Demo call", "required": ["appointment_timestamp"] },
    "meeting": { "mode": "scheduleappointment" }
}"#;

fn forms() -> Forms {
    Forms::from_json_str(FORMS).unwrap_or_else(|errors| panic!("{errors:?}"))
}

/// `fields` or `! codes`, then ` | ignored: names` when something was dropped.
fn check(form: &str, pairs: &[(&str, &str)], expected: &str) {
    let forms = forms();
    let profile = forms.get(form).expect("form exists");
    let rendered = match profile.accept(pairs, &ctx()) {
        Ok(accepted) if accepted.ignored.is_empty() => render_fields(&accepted.submission.encode()),
        Ok(accepted) => {
            format!(
                "{} | ignored: {}",
                render_fields(&accepted.submission.encode()),
                accepted.ignored.join(" ")
            )
        }
        Err(issues) => render_issues(&issues),
    };
    assert_eq!(rendered, expected, "{form} {pairs:?}");
}

#[test]
fn site_names_map_onto_closem_fields() {
    check(
        "contact",
        &[("your-email", "Jo@Example.com"), ("name", "Jo Doe"), ("message", "Hi")],
        "mode=addcontact&upsert=true&email=Jo@example.com&fullname=Jo Doe&notes=Hi&tags=42,57&contactlists=18,32&sequence_id=99",
    );
    check("contact", &[("your-phone", "777-888-9999"), ("fullname", "Jo")], "mode=addcontact&upsert=true&phone=+17778889999&fullname=Jo&tags=42,57&contactlists=18,32&sequence_id=99");
    // Issues name the input the visitor used, so the browser can place them.
    check(
        "contact",
        &[("your-email", "[email protected]"), ("name", "Jo")],
        "! your-email@email.format",
    );
    check(
        "contact",
        &[("email", "nope"), ("name", "Jo")],
        "! email.format",
    );
    check("contact", &[("name", "Jo")], "! your-email@email.contact");
}

#[test]
fn control_fields_are_ignored_or_refused_when_strict() {
    check(
        "contact",
        &[("your-email", "jo@example.com"), ("name", "Jo"), ("mode", "runsequence"), ("tags", "1"), ("sequence_id", "7"), ("upsert", "false")],
        "mode=addcontact&upsert=true&email=jo@example.com&fullname=Jo&tags=42,57&contactlists=18,32&sequence_id=99 \
         | ignored: mode tags sequence_id upsert",
    );
    check(
        "strict",
        &[
            ("your-email", "jo@example.com"),
            ("contact_list", ""),
            ("Auth", "k"),
        ],
        "! contact_list@contactlists.control Auth@auth.control",
    );
    check(
        "strict",
        &[("your-email", "jo@example.com"), ("_closem_started", "123")],
        "mode=addcontact&email=jo@example.com",
    );
    let forms = forms();
    let issues = forms
        .get("strict")
        .map(|profile| profile.accept(&[("tags", "1")], &ctx()));
    let issue = issues
        .and_then(Result::err)
        .and_then(|issues| issues.into_iter().next())
        .expect("an issue");
    assert_eq!(
        (issue.kind, issue.message()),
        (
            IssueKind::Control,
            "remove this field: the form's settings decide it"
        )
    );
}

#[test]
fn a_visitor_names_only_themselves() {
    check(
        "sequence",
        &[("your-email", "Jo@Example.com"), ("phone", "777-888-9999"), ("notes", "hi")],
        "mode=runsequence&sequence_id=55&contact_emails=Jo@example.com&contact_phones=+17778889999 | ignored: notes",
    );
    check(
        "sequence",
        &[("your-email", "jo@example.com,boss@example.com")],
        "! your-email@email.format",
    );
    check(
        "sequence",
        &[("phone", "777-888-9999,555-444-3333")],
        "! phone.format",
    );
    check(
        "sequence",
        &[("email", "a@example.com"), ("email", "b@example.com")],
        "! email.conflict",
    );
    check(
        "sequence",
        &[
            ("contact_emails", "boss@example.com"),
            ("contact_lists", "1"),
        ],
        "! your-email@email.contact",
    );
    check("sequence", &[], "! your-email@email.contact");
    check(
        "sequence",
        &[("your-email", "bad")],
        "! your-email@email.format",
    );
}

#[test]
fn appointments_take_a_fixed_or_typed_note() {
    check(
        "demo",
        &[("email", "jo@example.com"), ("appointment_note", "mine"), ("appointment_timestamp", "1700000000")],
        "mode=scheduleappointment&appointment_note=Demo call&appointment_timestamp=1700000000&contact_emails=jo@example.com \
         | ignored: appointment_note",
    );
    check(
        "demo",
        &[("email", "jo@example.com")],
        "! appointment_timestamp.required",
    );
    check(
        "meeting",
        &[("phone", "7778889999"), ("appointment_note", "Call me"), ("appointment_timestamp", "04/01/2022 12:30 PM")],
        "mode=scheduleappointment&appointment_note=Call me&appointment_timestamp=1648816200&contact_phones=+17778889999",
    );
    check(
        "meeting",
        &[],
        "! appointment_note.required appointment_timestamp.required email.contact",
    );
    let late = Context::utc(1_700_000_000);
    let forms = forms();
    let result = forms.get("meeting").map(|profile| {
        profile.accept(
            &[
                ("email", "jo@example.com"),
                ("appointment_note", "x"),
                ("appointment_timestamp", "1700000000"),
            ],
            &late,
        )
    });
    assert_eq!(
        result
            .and_then(Result::err)
            .map(|issues| render_issues(&issues))
            .as_deref(),
        Some("! appointment_timestamp.past")
    );
}

#[test]
fn unmapped_inputs_become_notes_and_honeypots_vanish() {
    check(
        "notes",
        &[
            ("email", "jo@example.com"),
            ("company", "Acme"),
            ("website", "http://spam"),
            ("budget", " 10k "),
            ("empty", ""),
        ],
        "mode=addcontact&email=jo@example.com&notes=company: Acme\nbudget: 10k",
    );
    check(
        "notes",
        &[
            ("email", "jo@example.com"),
            ("notes", "Call after 5"),
            ("company", "Acme"),
        ],
        "mode=addcontact&email=jo@example.com&notes=Call after 5\ncompany: Acme",
    );
    check(
        "notes",
        &[("email", "jo@example.com"), ("company", &"x".repeat(2000))],
        "! company@notes.too_long",
    );
    check("contact", &[("email", "jo@example.com"), ("name", "Jo"), ("company", "Acme")], "mode=addcontact&upsert=true&email=jo@example.com&fullname=Jo&tags=42,57&contactlists=18,32&sequence_id=99 | ignored: company");
}

#[test]
fn required_fields() {
    check(
        "contact",
        &[("your-email", "jo@example.com")],
        "! fullname.required",
    );
    check(
        "contact",
        &[("your-email", "jo@example.com"), ("full_name", " ")],
        "! full_name@fullname.required",
    );
}

#[test]
fn profile_accessors() {
    let forms = forms();
    assert_eq!(forms.len(), 6);
    let contact = forms.get("contact").expect("contact");
    assert_eq!(contact.mode(), Mode::AddContact);
    assert_eq!(
        contact.redirect(),
        Some("https://example.com/thanks?from=form#top")
    );
    assert!(contact.origin_allowed("https://example.com"));
    assert!(contact.origin_allowed("http://localhost:8787"));
    assert!(contact.origin_allowed("http://[::1]:8080"));
    assert!(!contact.origin_allowed("https://example.com.evil.net"));
    assert!(!contact.origin_allowed("http://example.com"));
    let spam = forms
        .get("notes")
        .map(|profile| profile.spam().clone())
        .expect("notes");
    assert_eq!(spam.honeypot.as_deref(), Some("website"));
    assert_eq!(spam.min_fill_ms, Some(1500));
    assert_eq!(spam.turnstile_site_key.as_deref(), Some("0x4AAA"));
    assert_eq!(spam.turnstile_action.as_deref(), Some("lead_form-2"));
    assert_eq!(spam.turnstile_hostnames, ["www.example.com", "localhost"]);
    let plain = contact.spam();
    assert_eq!(plain.turnstile_action, None);
    assert!(plain.turnstile_hostnames.is_empty());
    assert!(forms.get("nope").is_none());
}

#[test]
fn config_as_object_string_or_value() {
    let as_string = serde_json::to_string(&FORMS).expect("string");
    assert_eq!(
        Forms::from_json_str(&as_string).map(|forms| forms.len()),
        Ok(6)
    );
    let value: serde_json::Value = serde_json::from_str(FORMS).expect("json");
    assert_eq!(Forms::from_value(value).map(|forms| forms.len()), Ok(6));
    assert_eq!(
        Forms::from_value(json!(FORMS)).map(|forms| forms.len()),
        Ok(6)
    );
    assert_eq!(Forms::from_json_str("{}").map(|forms| forms.len()), Ok(0));
}

#[test]
fn the_forms_file_wins_over_the_variable_and_the_variable_adds_forms() {
    let file = Forms::from_value(json!({
        "contact": { "mode": "addcontact", "tags": [1] },
        "guide": { "mode": "runsequence", "sequence_id": 5 },
    }))
    .expect("file");
    let variable = Forms::from_value(json!({
        "contact": { "mode": "runsequence", "sequence_id": 9 },
        "extra": { "mode": "addcontact" },
    }))
    .expect("variable");
    let combined = Forms::combine(file, variable);
    assert_eq!((combined.from_file, combined.from_variable), (2, 1));
    assert_eq!(combined.shadowed, ["contact"]);
    let ids: Vec<&str> = combined.forms.iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["contact", "guide", "extra"]);
    let contact = combined.forms.get("contact").expect("contact");
    assert_eq!(
        contact.mode(),
        closem_shared::Mode::AddContact,
        "the file's profile"
    );
    let alone = Forms::combine(
        Forms::default(),
        Forms::from_value(json!({ "x": { "mode": "addcontact" } })).expect("x"),
    );
    assert_eq!(
        (alone.from_file, alone.from_variable, alone.forms.len()),
        (0, 1, 1)
    );
}

/// Each line: a config and a substring of its rendered errors (`path: message`).
fn check_config(config: serde_json::Value, expected: &str) {
    let errors = match Forms::from_value(config.clone()) {
        Ok(_) => panic!("{config} should be refused"),
        Err(errors) => errors,
    };
    let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let rendered = rendered.join("\n");
    assert!(
        rendered.contains(expected),
        "{config}:\n{rendered}\nshould contain {expected:?}"
    );
}

// Long: one table, a line per configuration error and its message.
#[test]
fn config_errors() {
    check_config(json!([]), "FORMS must be a JSON object");
    check_config(json!("{"), "FORMS string does not hold valid JSON");
    check_config(json!("\"{}\""), "FORMS must be a JSON object");
    check_config(
        json!({ "a b": { "mode": "addcontact" } }),
        "a b: form id must be 1-64 characters",
    );
    check_config(
        json!({ "x".repeat(65): { "mode": "addcontact" } }),
        "form id must be 1-64 characters",
    );
    check_config(
        json!({ "c": "addcontact" }),
        "c: profile must be a JSON object",
    );
    check_config(json!({ "c": {} }), "c.mode: required");
    check_config(
        json!({ "c": { "mode": "deletecontact" } }),
        "c.mode: unknown mode",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "tgas": [1] } }),
        "c.tgas: unknown key",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "upsert": "yes" } }),
        "c.upsert: use true or false",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "strict": 1 } }),
        "c.strict: use true or false",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "tags": [1, "vip"] } }),
        "c.tags[1]: use numeric ids",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "tags": [-1] } }),
        "c.tags[0]: use numeric ids",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "contact_lists": "1,x" } }),
        "c.contact_lists: use numeric ids",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "contact_lists": 5 } }),
        "c.contact_lists: use numeric ids",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "sequence_id": "abc" } }),
        "c.sequence_id: use a numeric sequence id",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "sequence_id": "42,57" } }),
        "c.sequence_id: use one sequence id",
    );
    check_config(
        json!({ "c": { "mode": "runsequence" } }),
        "c.sequence_id: required for runsequence",
    );
    check_config(
        json!({ "c": { "mode": "runsequence", "sequence_id": 1, "tags": [1] } }),
        "c.tags: applies to addcontact profiles only",
    );
    check_config(
        json!({ "c": { "mode": "scheduleappointment", "contact_lists": [1] } }),
        "c.contact_lists: applies to addcontact",
    );
    check_config(
        json!({ "c": { "mode": "runsequence", "sequence_id": 1, "upsert": true } }),
        "c.upsert: applies to addcontact",
    );
    check_config(
        json!({ "c": { "mode": "scheduleappointment", "sequence_id": 1 } }),
        "c.sequence_id: applies to addcontact and runsequence",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "appointment_note": "x" } }),
        "c.appointment_note: applies to scheduleappointment",
    );
    check_config(
        json!({ "c": { "mode": "scheduleappointment", "appointment_note": " " } }),
        "c.appointment_note: use a non-empty text",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "fields": { "your-tags": "tags" } } }),
        "c.fields.your-tags: \"tags\" is a control field",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "fields": { "list": "contact_list" } } }),
        "c.fields.list: \"contact_list\" is a control field",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "fields": { "x": "telephone" } } }),
        "c.fields.x: unknown CLOSEM field \"telephone\"",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "fields": { "x": 1 } } }),
        "c.fields.x: use the name of a CLOSEM field",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "fields": { "_closem_x": "email" } } }),
        "c.fields._closem_x: site input names",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "fields": ["email"] } }),
        "c.fields: use an object",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "required": ["emial"] } }),
        "c.required[0]: unknown CLOSEM field \"emial\"",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "required": ["email", "sequence_id"] } }),
        "c.required[1]: \"sequence_id\" is a control field",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "required": "email" } }),
        "c.required: use an array",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "allowed_origins": ["*"] } }),
        "c.allowed_origins[0]: \"*\" is not allowed",
    );
    for origin in [
        "https://example.com/",
        "https://example.com/path",
        "example.com",
        "ftp://example.com",
        "https://example.com?q",
        "https://",
        "https://exa mple.com",
        "https://example.com:0",
        "https://example.com:99999",
        "https://user@example.com",
    ] {
        check_config(
            json!({ "c": { "mode": "addcontact", "allowed_origins": ["https://ok.example", origin] } }),
            "c.allowed_origins[1]: use an origin like",
        );
    }
    check_config(
        json!({ "c": { "mode": "addcontact", "allowed_origins": "https://example.com" } }),
        "c.allowed_origins: use an array",
    );
    for url in [
        "/thanks",
        "javascript:alert(1)",
        "https://user:pass@evil.example/",
        "https://evil.example@example.com/",
        "https:///path",
        "https://example.com/a b",
        "ftp://example.com/",
    ] {
        check_config(
            json!({ "c": { "mode": "addcontact", "redirect": url } }),
            "c.redirect: use an absolute http or https URL",
        );
    }
    check_config(
        json!({ "c": { "mode": "addcontact", "unmapped": "keep" } }),
        "c.unmapped: use \"drop\" or \"notes\"",
    );
    check_config(
        json!({ "c": { "mode": "runsequence", "sequence_id": 1, "unmapped": "notes" } }),
        "c.unmapped: \"notes\" applies to addcontact",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": { "honeypot": "email" } } }),
        "c.spam.honeypot: use a non-empty input name",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": { "honeypot": "" } } }),
        "c.spam.honeypot",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": { "min_fill_ms": -5 } } }),
        "c.spam.min_fill_ms: use a whole number",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": { "turnstile_site_key": "" } } }),
        "c.spam.turnstile_site_key",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": { "turnstile_site_key": "0x4 AAA" } } }),
        "c.spam.turnstile_site_key: use the site key Cloudflare gave",
    );
    // Issue 6: the Turnstile action and host names, checked as Turnstile reports them.
    let turnstile = |extra: serde_json::Value| {
        let mut spam = json!({ "turnstile_site_key": "0x4AAA" });
        if let (Some(spam), Some(extra)) = (spam.as_object_mut(), extra.as_object()) {
            spam.extend(extra.clone());
        }
        json!({ "c": { "mode": "addcontact", "spam": spam } })
    };
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": { "turnstile_action": "lead" } } }),
        "c.spam.turnstile_action: applies only with turnstile_site_key",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": { "turnstile_hostnames": ["a.com"] } } }),
        "c.spam.turnstile_hostnames: applies only with turnstile_site_key",
    );
    for action in [
        json!(""),
        json!("lead form"),
        json!("x".repeat(33)),
        json!(7),
    ] {
        check_config(
            turnstile(json!({ "turnstile_action": action })),
            "c.spam.turnstile_action: use 1-32 characters of A-Z, a-z, 0-9, _ and -",
        );
    }
    check_config(
        turnstile(json!({ "turnstile_hostnames": "www.example.com" })),
        "c.spam.turnstile_hostnames: use an array of host names",
    );
    check_config(
        turnstile(json!({ "turnstile_hostnames": [] })),
        "c.spam.turnstile_hostnames: list at least one host name",
    );
    for host in [
        "https://www.example.com",
        "www.example.com:443",
        "www.example.com/form",
        "*.example.com",
        "",
    ] {
        check_config(
            turnstile(json!({ "turnstile_hostnames": ["ok.example.com", host] })),
            "c.spam.turnstile_hostnames[1]: use a host name like \"www.example.com\"",
        );
    }
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": { "captcha": true } } }),
        "c.spam.captcha: unknown key",
    );
    check_config(
        json!({ "c": { "mode": "addcontact", "spam": true } }),
        "c.spam: use an object",
    );
}

#[test]
fn config_errors_are_all_listed() {
    let config = json!({
        "a": { "mode": "runsequence", "fields": { "t": "tags" } },
        "b": { "mode": "addcontact", "redirect": "nope", "allowed_origins": ["*"] },
        "ok": { "mode": "addcontact" },
    });
    let errors = Forms::from_value(config).err().unwrap_or_default();
    let paths: Vec<&str> = errors.iter().map(|error| error.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "a.sequence_id",
            "a.fields.t",
            "b.allowed_origins[0]",
            "b.redirect"
        ]
    );
}
