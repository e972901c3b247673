//! Which CLOSEM field a control feeds: `autocomplete` tokens, and the one precedence (explicit
//! hint, profile mapping, documented alias, autocomplete token) that the widget and the edge share.
//! Regression tests for issue 10.

use closem_shared::{resolve_field, Field, Forms};

use crate::{ctx, render};

#[test]
fn autocomplete_tokens_name_their_fields() {
    let check = |tokens: &str, expected: Option<Field>| {
        assert_eq!(Field::from_autocomplete(tokens), expected, "{tokens:?}");
    };
    check("email", Some(Field::Email));
    check("tel", Some(Field::Phone));
    check("tel-national", Some(Field::Phone));
    check("name", Some(Field::FullName));
    check("given-name", Some(Field::FirstName));
    check("family-name", Some(Field::LastName));
    check("street-address", Some(Field::Address));
    check("address-line1", Some(Field::Address));
    check("address-level2", Some(Field::City));
    check("address-level1", Some(Field::State));
    check("postal-code", Some(Field::Zip));
    // Section, address-kind and contact-kind tokens come first; webauthn may follow.
    check("section-blue shipping street-address", Some(Field::Address));
    check("billing work email", Some(Field::Email));
    check("  Work   TEL  ", Some(Field::Phone));
    check("email webauthn", Some(Field::Email));
    // Nothing CLOSEM has a field for.
    check("off", None);
    check("on", None);
    check("", None);
    check("webauthn", None);
    check("organization", None);
    check("email-address", None);
    check("country", None);
}

#[test]
fn precedence_is_hint_then_mapping_then_alias_then_autocomplete() {
    let check = |hint: Option<&str>,
                 mapped: Option<Field>,
                 name: &str,
                 auto: Option<&str>,
                 expected: Option<Field>| {
        assert_eq!(
            resolve_field(hint, mapped, name, auto),
            expected,
            "hint {hint:?}, mapped {mapped:?}, name {name:?}, autocomplete {auto:?}"
        );
    };
    let email = Some(Field::Email);
    check(
        Some("phone"),
        email,
        "email",
        Some("email"),
        Some(Field::Phone),
    );
    check(
        None,
        Some(Field::Notes),
        "email",
        Some("email"),
        Some(Field::Notes),
    );
    check(None, None, "email", Some("tel"), email);
    check(None, None, "your-email", Some("email"), email);
    check(None, None, "your-email", None, None);
    // A hint or token naming no CLOSEM field counts as absent.
    check(Some("e-mail"), None, "your-email", Some("email"), email);
    check(None, None, ":r1:", Some("off"), None);
}

const FORMS: &str = r#"{
  "contact": { "mode": "addcontact", "fields": { "your-email": "email", "message": "notes" } },
  "strict": { "mode": "addcontact", "strict": true }
}"#;

fn check(form: &str, pairs: &[(&str, &str)], expected: &str) {
    let forms = Forms::from_json_str(FORMS).unwrap_or_else(|errors| panic!("{errors:?}"));
    let profile = forms.get(form).expect("a profile");
    let result = profile
        .accept(pairs, &ctx())
        .map(|accepted| accepted.submission);
    assert_eq!(render(&result), expected, "{pairs:?}");
}

#[test]
fn the_edge_applies_the_widgets_hints_by_the_same_precedence() {
    // An autocomplete token names a field the profile does not map.
    check(
        "contact",
        &[(":r1:", "ada@example.com"), ("_closem_auto::r1:", "email")],
        "mode=addcontact&email=ada@example.com",
    );
    // The profile's mapping beats an autocomplete token...
    check(
        "contact",
        &[
            ("your-email", "ada@example.com"),
            ("_closem_auto:your-email", "tel"),
        ],
        "mode=addcontact&email=ada@example.com",
    );
    // ...and an explicit hint beats the mapping.
    check(
        "contact",
        &[
            ("phone", "+1 (555) 444-3333"),
            ("message", "ada@example.com"),
            ("_closem_field:message", "email"),
        ],
        "mode=addcontact&phone=+15554443333&email=ada@example.com",
    );
    // A hint for a name that was not sent changes nothing; without hints a nameless id is dropped.
    check(
        "contact",
        &[
            ("email", "ada@example.com"),
            ("_closem_field:other", "phone"),
        ],
        "mode=addcontact&email=ada@example.com",
    );
    check(
        "contact",
        &[("email", "ada@example.com"), ("company", "Engines")],
        "mode=addcontact&email=ada@example.com",
    );
}

#[test]
fn a_hint_cannot_make_a_control_field() {
    check(
        "contact",
        &[
            ("email", "ada@example.com"),
            ("extra", "99"),
            ("_closem_field:extra", "tags"),
        ],
        "mode=addcontact&email=ada@example.com",
    );
    check(
        "strict",
        &[
            ("email", "ada@example.com"),
            ("extra", "99"),
            ("_closem_field:extra", "sequence_id"),
        ],
        "! extra@sequence_id.control",
    );
}
