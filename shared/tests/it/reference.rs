//! Every `--form` example in the CLOSEM reference (rev 1.22), as written there, inside a valid
//! request of its mode.

use closem_shared::parse;

use crate::{ctx, render, NOW};

/// Adds the reference's example to a minimal valid request and renders the outcome.
fn check(base: &[(&str, &str)], example: (&str, &str), expected: &str) {
    let mut pairs = base.to_vec();
    pairs.push(example);
    assert_eq!(render(&parse(&pairs, &ctx())), expected, "{example:?}");
}

const ADD: &[(&str, &str)] = &[("mode", "addcontact"), ("phone", "+15554443333")];
const ADD_BY_EMAIL: &[(&str, &str)] = &[("mode", "addcontact"), ("email", "jo@example.com")];
const RUN: &[(&str, &str)] = &[("mode", "runsequence"), ("sequence_id", "55")];
const RUN_TAGGED: &[(&str, &str)] = &[("mode", "runsequence"), ("tags", "1")];
const MEET: &[(&str, &str)] = &[
    ("mode", "scheduleappointment"),
    ("appointment_note", "Demo"),
    ("appointment_timestamp", "1700000000"),
];
const MEET_TAGGED: &[(&str, &str)] = &[
    ("mode", "scheduleappointment"),
    ("appointment_timestamp", "1700000000"),
    ("tags", "1"),
];

#[test]
fn add_contact_examples() {
    let head = "mode=addcontact&phone=+15554443333";
    check(ADD, ("mode", "addcontact"), head);
    check(
        ADD,
        ("upsert", "true"),
        "mode=addcontact&upsert=true&phone=+15554443333",
    );
    check(
        ADD_BY_EMAIL,
        ("phone", "9999999998"),
        "mode=addcontact&phone=+19999999998&email=jo@example.com",
    );
    // Cloudflare obfuscated the reference's email examples; the result is not an address.
    check(ADD, ("email", "[email protected]"), "! email.format");
    check(
        ADD,
        ("fullname", "John Doe"),
        &format!("{head}&fullname=John Doe"),
    );
    check(ADD, ("fullname", "John"), &format!("{head}&fullname=John"));
    check(
        ADD,
        ("firstname", "John"),
        &format!("{head}&firstname=John"),
    );
    check(ADD, ("lastname", "Doe"), &format!("{head}&lastname=Doe"));
    check(
        ADD,
        ("notes", "Example Users note"),
        &format!("{head}&notes=Example Users note"),
    );
    check(
        ADD,
        ("address", "123 Testing Street"),
        &format!("{head}&address=123 Testing Street"),
    );
    check(
        ADD,
        ("city", "Example Users city"),
        &format!("{head}&city=Example Users city"),
    );
    check(ADD, ("state", "CA"), &format!("{head}&state=CA"));
    check(ADD, ("zip", "99999"), &format!("{head}&zip=99999"));
    check(ADD, ("tags", "42,57"), &format!("{head}&tags=42,57"));
    check(
        ADD,
        ("contactlists", "18,32"),
        &format!("{head}&contactlists=18,32"),
    );
    check(
        ADD,
        ("sequence_id", "99"),
        &format!("{head}&sequence_id=99"),
    );
}

#[test]
fn run_sequence_examples() {
    check(
        RUN_TAGGED,
        ("sequence_id", "55"),
        "mode=runsequence&sequence_id=55&tags=1",
    );
    check(
        RUN,
        ("contact_emails", "[email protected],[email protected]"),
        "! contact_emails.format",
    );
    check(
        RUN,
        ("contact_phones", "+15554443333,777-888-9999"),
        "mode=runsequence&sequence_id=55&contact_phones=+15554443333,+17778889999",
    );
    check(
        RUN,
        ("contactlists", "18,32"),
        "mode=runsequence&sequence_id=55&contactlists=18,32",
    );
    check(
        RUN,
        ("tags", "42,57"),
        "mode=runsequence&sequence_id=55&tags=42,57",
    );
}

#[test]
fn schedule_appointment_examples() {
    let head = "mode=scheduleappointment&appointment_note=Demo&appointment_timestamp=1700000000";
    check(
        MEET_TAGGED,
        ("appointment_note", "Virtural Training Seminar"),
        "mode=scheduleappointment&appointment_note=Virtural Training Seminar&appointment_timestamp=1700000000&tags=1",
    );
    check(
        MEET,
        ("contact_emails", "[email protected],[email protected]"),
        "! contact_emails.format",
    );
    check(
        MEET,
        ("contact_phones", "+15554443333,1-777-888-9999"),
        &format!("{head}&contact_phones=+15554443333,+17778889999"),
    );
    check(
        MEET,
        ("contactlists", "18,32"),
        &format!("{head}&contactlists=18,32"),
    );
    check(MEET, ("tags", "42,57"), &format!("{head}&tags=42,57"));
}

#[test]
fn the_reference_appointment_time_must_still_be_ahead() {
    let pairs = [
        ("mode", "scheduleappointment"),
        ("appointment_note", "Virtural Training Seminar"),
        ("appointment_timestamp", "04/01/2022 12:30 PM"),
        ("tags", "42,57"),
    ];
    let before = closem_shared::Context::utc(NOW);
    assert_eq!(
        render(&parse(&pairs, &before)),
        "mode=scheduleappointment&appointment_note=Virtural Training Seminar&appointment_timestamp=1648816200&tags=42,57"
    );
    let after = closem_shared::Context::utc(1_648_816_200);
    assert_eq!(
        render(&parse(&pairs, &after)),
        "! appointment_timestamp.past"
    );
}
