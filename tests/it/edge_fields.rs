//! Visitor field names: every documented alias, the profile's own `fields` mapping (Contact Form 7
//! style), inputs that are neither (dropped, or kept in the notes), and the documented phone shapes.

use crate::edge_support::{assert_fields, shared, strings_of, unique_email, value_of, EMAIL};

/// Every documented alias of every field a visitor may fill in an addcontact form, with the
/// canonical name CLOSEM must receive and a value to send.
const CONTACT_ALIASES: &[(&str, &str, &str)] = &[
    ("phone", "phone", "+15554443333"),
    ("phonenumber", "phone", "+15554443333"),
    ("number", "phone", "+15554443333"),
    ("phone_number", "phone", "+15554443333"),
    ("fullname", "fullname", "Jane Doe"),
    ("name", "fullname", "Jane Doe"),
    ("full_name", "fullname", "Jane Doe"),
    ("firstname", "firstname", "Jane"),
    ("first", "firstname", "Jane"),
    ("first_name", "firstname", "Jane"),
    ("lastname", "lastname", "Doe"),
    ("last", "lastname", "Doe"),
    ("last_name", "lastname", "Doe"),
    ("notes", "notes", "Example note"),
    ("note", "notes", "Example note"),
    ("address", "address", "123 Testing Street"),
    ("street", "address", "123 Testing Street"),
    ("city", "city", "Springfield"),
    ("state", "state", "CA"),
    ("zip", "zip", "99999"),
    ("zip_code", "zip", "99999"),
    ("zipcode", "zip", "99999"),
];

#[test]
fn every_documented_alias_of_every_contact_field_reaches_closem_by_its_canonical_name() {
    let edge = shared();
    for &(alias, canonical, value) in CONTACT_ALIASES {
        let email = unique_email("alias");
        edge.assert_forwards(
            "plain",
            &[("email", &email), (alias, value)],
            &email,
            &[
                ("mode", "addcontact"),
                ("email", &email),
                (canonical, value),
            ],
        );
    }
}

#[test]
fn every_email_alias_works_in_every_mode() {
    let edge = shared();
    for alias in ["email", "mail", "emailaddress", "email_address", "EMAIL"] {
        let email = unique_email("emailalias");
        edge.assert_forwards(
            "plain",
            &[(alias, &email)],
            &email,
            &[("mode", "addcontact"), ("email", &email)],
        );

        let email = unique_email("emailalias");
        edge.post("sequence", &[(alias, &email)]).assert_delivered();
        assert_eq!(
            value_of(&edge.forwarded(&email), "contact_emails"),
            email,
            "{alias}"
        );

        let email = unique_email("emailalias");
        edge.post(
            "appointment",
            &[
                (alias, &email),
                ("appointment_note", "Demo"),
                ("appointment_timestamp", "1932827400"),
            ],
        )
        .assert_delivered();
        assert_eq!(
            value_of(&edge.forwarded(&email), "contact_emails"),
            email,
            "{alias}"
        );
    }
}

#[test]
fn every_phone_alias_becomes_the_visitors_contact_phone_in_sequences_and_appointments() {
    let edge = shared();
    for alias in ["phone", "phonenumber", "number", "phone_number"] {
        let email = unique_email("phonealias");
        edge.post("sequence", &[("email", &email), (alias, "777-888-9999")])
            .assert_delivered();
        assert_eq!(
            value_of(&edge.forwarded(&email), "contact_phones"),
            "+17778889999",
            "{alias}"
        );

        let email = unique_email("phonealias");
        edge.post(
            "seminar",
            &[
                ("email", &email),
                (alias, "777-888-9999"),
                ("appointment_timestamp", "1932827400"),
            ],
        )
        .assert_delivered();
        assert_eq!(
            value_of(&edge.forwarded(&email), "contact_phones"),
            "+17778889999",
            "{alias}"
        );
    }
}

/// The documented shapes (and the reference's own examples) all reach CLOSEM as `+1##########`.
#[test]
fn documented_phone_shapes_are_forwarded_normalised() {
    let edge = shared();
    let check = |typed: &str, forwarded: &str| {
        let email = unique_email("phoneshape");
        edge.post("plain", &[("email", &email), ("phone", typed)])
            .assert_delivered();
        assert_eq!(
            value_of(&edge.forwarded(&email), "phone"),
            forwarded,
            "{typed}"
        );
    };
    check("+1 (555) 444-3333", "+15554443333");
    check("+15554443333", "+15554443333");
    check("15554443333", "+15554443333");
    check("1-555-444-3333", "+15554443333");
    check("777-888-9999", "+17778889999");
    check("9999999998", "+19999999998");
}

#[test]
fn profile_field_mapping_accepts_contact_form_7_names() {
    let edge = shared();
    let email = unique_email("cf7");
    // `_wpcf7` is unmapped and this profile keeps unmapped inputs in the notes.
    edge.assert_forwards(
        "cf7",
        &[
            ("your-name", "Jane Doe"),
            ("your-email", &email),
            ("your-tel", "(555) 444-3333"),
            ("your-message", "Hello there"),
            ("_wpcf7", "123"),
        ],
        &email,
        &[
            ("mode", "addcontact"),
            ("fullname", "Jane Doe"),
            ("email", &email),
            ("phone", "+15554443333"),
            ("notes", "Hello there\n_wpcf7: 123"),
        ],
    );
}

#[test]
fn issues_name_the_sites_own_inputs() {
    let edge = shared();
    let reply = edge.post(
        "cf7",
        &[("your-email", "not-an-email"), ("your-tel", "12345")],
    );
    // `required: ["fullname"]` is reported on the mapped input too.
    reply.assert_issues(422, &["fullname.required", "phone.format", "email.format"]);
    let body = reply.json();
    let fields = strings_of(&body["issues"], "field");
    assert_eq!(fields, ["your-name", "your-tel", "your-email"]);
}

#[test]
fn unmapped_inputs_are_dropped_by_default() {
    let edge = shared();
    let email = unique_email("dropped");
    edge.assert_forwards(
        "plain",
        &[
            ("email", &email),
            ("company", "Acme"),
            ("utm_source", "newsletter"),
            ("notes", "hi"),
        ],
        &email,
        &[("mode", "addcontact"), ("email", &email), ("notes", "hi")],
    );
}

#[test]
fn unmapped_inputs_go_to_the_notes_when_the_profile_says_so() {
    let edge = shared();
    let email = unique_email("notes");
    edge.assert_forwards(
        "cf7",
        &[
            ("your-name", "Jane Doe"),
            ("your-email", &email),
            ("company", "Acme"),
            ("budget", "5k"),
            ("empty", ""),
        ],
        &email,
        &[
            ("mode", "addcontact"),
            ("fullname", "Jane Doe"),
            ("email", &email),
            ("notes", "company: Acme\nbudget: 5k"),
        ],
    );
}

#[test]
fn fields_the_mode_does_not_use_are_not_forwarded() {
    let edge = shared();
    let email = unique_email("modeuse");
    edge.post(
        "sequence",
        &[
            ("email", &email),
            ("fullname", "Jane Doe"),
            ("city", "Springfield"),
            ("appointment_note", "x"),
        ],
    )
    .assert_delivered();
    edge.assert_sequence_ran_for(&email);
}

#[test]
fn honeypot_filled_gets_a_success_but_nothing_is_forwarded() {
    let edge = shared();
    let email = unique_email("honeypot");
    edge.post(
        "contact",
        &[
            ("email", &email),
            ("company_website", "http://spam.example"),
        ],
    )
    .assert_delivered();
    edge.assert_not_forwarded(&email);

    // Left empty, as humans do, it lets the lead through and is itself never forwarded.
    let email = unique_email("honeypot");
    edge.post("contact", &[("email", &email), ("company_website", "")])
        .assert_delivered();
    let fields = edge.forwarded(&email);
    assert!(
        fields.iter().all(|(name, _)| name != "company_website"),
        "{fields:?}"
    );
}

#[test]
fn non_ascii_values_reach_closem_intact_in_both_encodings() {
    shared().assert_forwards_in_both_encodings(
        "plain",
        "unicode",
        &[
            ("email", EMAIL),
            ("fullname", "  José Müller-Łukasiewicz  "),
            ("city", "Zürich"),
            ("notes", "感谢 🎉 & <b>\"quoted\"</b>"),
        ],
        &[
            ("mode", "addcontact"),
            ("email", EMAIL),
            ("fullname", "José Müller-Łukasiewicz"),
            ("city", "Zürich"),
            ("notes", "感谢 🎉 & <b>\"quoted\"</b>"),
        ],
    );
}

#[test]
fn file_parts_of_a_multipart_form_are_not_forwarded() {
    let edge = shared();
    let email = unique_email("file");
    let form = reqwest::blocking::multipart::Form::new()
        .text("email", email.clone())
        .part(
            "resume",
            reqwest::blocking::multipart::Part::bytes(b"%PDF-1.4 not a lead".to_vec())
                .file_name("resume.pdf"),
        )
        .text("fullname", "Jane Doe");
    edge.send(
        crate::edge_support::client()
            .post(edge.url("/f/cf7"))
            .header("Accept", "application/json")
            .multipart(form),
    )
    .assert_delivered();
    // Even on a profile that keeps unmapped inputs in the notes.
    assert_fields(
        &edge.forwarded(&email),
        &[
            ("mode", "addcontact"),
            ("email", &email),
            ("fullname", "Jane Doe"),
        ],
    );
}
