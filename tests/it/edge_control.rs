//! Control fields come only from the profile: a visitor who sends `mode`, `upsert`, tags, any
//! contact-list alias, a sequence, contact targets or credentials changes nothing that is forwarded,
//! and a strict profile refuses them with a `.control` issue.

use crate::edge_support::{assert_fields, shared, unique_email, with_email, EMAIL};

/// Every control field name a visitor might inject, with a value CLOSEM would act on.
const CONTROL: &[(&str, &str)] = &[
    ("mode", "runsequence"),
    ("upsert", "false"),
    ("tags", "1,2"),
    ("tag", "3"),
    ("contactlists", "4"),
    ("contactlist", "5"),
    ("contact_lists", "6"),
    ("contact_list", "7"),
    ("sequence_id", "8"),
    ("contact_emails", "victim@example.org"),
    ("contact_phones", "+15550009999"),
    ("auth", "stolen-key"),
    ("m", "admin"),
    // Names are matched without regard to case, as HTML authors write them.
    ("MODE", "scheduleappointment"),
    ("Tags", "9"),
];

/// For each mode: the visitor fields of a valid submission, and what CLOSEM must receive for them
/// ([`EMAIL`] standing for the visitor's address).
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);

const CASES: &[Case] = &[
    (
        "contact",
        &[("email", EMAIL), ("phone", "5554443333")],
        &[
            ("mode", "addcontact"),
            ("upsert", "true"),
            ("phone", "+15554443333"),
            ("email", EMAIL),
            ("tags", "42,57"),
            ("contactlists", "18,32"),
            ("sequence_id", "99"),
        ],
    ),
    (
        "plain",
        &[("email", EMAIL)],
        &[("mode", "addcontact"), ("email", EMAIL)],
    ),
    (
        "sequence",
        &[("email", EMAIL)],
        &[
            ("mode", "runsequence"),
            ("sequence_id", "55"),
            ("contact_emails", EMAIL),
        ],
    ),
    (
        "appointment",
        &[
            ("email", EMAIL),
            ("appointment_note", "Demo"),
            ("appointment_timestamp", "1932827400"),
        ],
        &[
            ("mode", "scheduleappointment"),
            ("appointment_note", "Demo"),
            ("appointment_timestamp", "1932827400"),
            ("contact_emails", EMAIL),
        ],
    ),
];

/// Posts a case's visitor fields with `injected` added, and checks what CLOSEM received.
fn check(case: &Case, injected: &[(&str, &str)], email: &str) {
    let (form, visitor, expected) = case;
    let edge = shared();
    let mut fields = with_email(visitor, email);
    fields.extend_from_slice(injected);
    edge.post(form, &fields).assert_delivered();
    assert_fields(&edge.forwarded(email), &with_email(expected, email));
}

#[test]
fn each_injected_control_field_is_ignored_in_every_mode() {
    for case in CASES {
        for &control in CONTROL {
            check(case, &[control], &unique_email("control"));
        }
    }
}

#[test]
fn all_control_fields_at_once_are_ignored_in_every_mode() {
    for case in CASES {
        check(case, CONTROL, &unique_email("controls"));
    }
}

#[test]
fn a_visitor_names_only_themselves_as_the_sequence_target() {
    let edge = shared();
    let email = unique_email("self");
    let second = unique_email("second");
    edge.post("sequence", &[("email", &format!("{email},{second}"))])
        .assert_issues(422, &["email.format"]);
    edge.post("sequence", &[("email", &email), ("mail", &second)])
        .assert_issues(422, &["email.conflict"]);
    edge.post("sequence", &[("phone", "5554443333,7778889999")])
        .assert_issues(422, &["phone.format"]);
    edge.post("sequence", &[("contact_emails", &second)])
        .assert_issues(422, &["email.contact"]);
    edge.assert_not_forwarded(&email);
    edge.assert_not_forwarded(&second);
}

#[test]
fn strict_profile_refuses_each_control_field_with_a_control_issue() {
    let edge = shared();
    for &(name, value) in CONTROL {
        let email = unique_email("strict");
        let reply = edge.post("strict", &[("email", &email), (name, value)]);
        // The code names the CLOSEM field (stable across spellings); `field` names the input.
        let canonical =
            closem_shared::Field::from_name(name).map_or(name, |field| field.canonical());
        reply.assert_issues(422, &[&format!("{canonical}.control")]);
        assert_eq!(reply.json()["issues"][0]["field"], name);
        edge.assert_not_forwarded(&email);
    }
    // Without them the same form goes through.
    let email = unique_email("strict");
    edge.assert_forwards(
        "strict",
        &[("email", &email)],
        &email,
        &[("mode", "addcontact"), ("email", &email)],
    );
}

#[test]
fn strict_profile_lists_every_control_field_sent() {
    let edge = shared();
    let email = unique_email("strictall");
    let reply = edge.post(
        "strict",
        &[
            ("email", &email),
            ("tags", "1"),
            ("sequence_id", "2"),
            ("m", "api"),
        ],
    );
    reply.assert_issues(422, &["tags.control", "sequence_id.control", "m.control"]);
    edge.assert_not_forwarded(&email);
}
