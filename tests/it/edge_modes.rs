//! Each CLOSEM mode end to end: a valid form posted to `/f/{id}` reaches the sandbox with exactly the
//! canonical fields its profile implies, with the key, and the client gets `{ok, id, issues}`.

use crate::edge_support::{assert_fields, forms, shared, unique_email, value_of, Edge, EMAIL};

#[test]
fn addcontact_profile_forwards_exactly_the_canonical_fields_in_both_encodings() {
    shared().assert_forwards_in_both_encodings(
        "contact",
        "addcontact",
        &[
            ("email", EMAIL),
            ("phone", "+1 (555) 444-3333"),
            ("fullname", "Jane Doe"),
            ("notes", "call after 5"),
            ("address", "1 Main St"),
            ("city", "Springfield"),
            ("state", "IL"),
            ("zip", "62701"),
        ],
        &[
            ("mode", "addcontact"),
            ("upsert", "true"),
            ("phone", "+15554443333"),
            ("email", EMAIL),
            ("fullname", "Jane Doe"),
            ("notes", "call after 5"),
            ("address", "1 Main St"),
            ("city", "Springfield"),
            ("state", "IL"),
            ("zip", "62701"),
            ("tags", "42,57"),
            ("contactlists", "18,32"),
            ("sequence_id", "99"),
        ],
    );
}

#[test]
fn forwarded_requests_are_multipart_with_the_key_in_the_query() {
    let edge = shared();
    let email = unique_email("wire");
    edge.post("plain", &[("email", &email)]).assert_delivered();
    let records = edge.records_with(&email);
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["auth_matched"], true);
    let content_type = records[0]["content_type"].as_str().unwrap_or_default();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
}

#[test]
fn plain_addcontact_profile_adds_nothing_of_its_own() {
    let edge = shared();
    let email = unique_email("plain");
    edge.assert_forwards(
        "plain",
        &[
            ("email", &email),
            ("firstname", "Jane"),
            ("lastname", "Doe"),
        ],
        &email,
        &[
            ("mode", "addcontact"),
            ("email", &email),
            ("firstname", "Jane"),
            ("lastname", "Doe"),
        ],
    );
}

#[test]
fn full_name_wins_over_first_and_last() {
    let edge = shared();
    let email = unique_email("fullname");
    edge.assert_forwards(
        "plain",
        &[
            ("email", &email),
            ("first", "Janet"),
            ("last", "Roe"),
            ("name", "Jane Doe"),
        ],
        &email,
        &[
            ("mode", "addcontact"),
            ("email", &email),
            ("fullname", "Jane Doe"),
        ],
    );
}

#[test]
fn runsequence_profile_targets_the_visitor_only() {
    shared().assert_forwards_in_both_encodings(
        "sequence",
        "sequence",
        &[("email", EMAIL), ("phone", "1-555-444-3333")],
        &[
            ("mode", "runsequence"),
            ("sequence_id", "55"),
            ("contact_emails", EMAIL),
            ("contact_phones", "+15554443333"),
        ],
    );
}

#[test]
fn runsequence_with_a_phone_only_targets_that_phone() {
    let edge = shared();
    // The phone is the only marker here: make it unique through the email-free record's digits.
    let reply = edge.post("sequence", &[("phone", "+1 (555) 210-4242")]);
    reply.assert_delivered();
    let fields = edge.forwarded("+15552104242");
    assert_fields(
        &fields,
        &[
            ("mode", "runsequence"),
            ("sequence_id", "55"),
            ("contact_phones", "+15552104242"),
        ],
    );
}

#[test]
fn scheduleappointment_profile_forwards_note_time_and_the_visitor() {
    shared().assert_forwards_in_both_encodings(
        "appointment",
        "appointment",
        &[
            ("email", EMAIL),
            ("appointment_note", "Demo call"),
            ("appointment_timestamp", "1932827400"),
        ],
        &[
            ("mode", "scheduleappointment"),
            ("appointment_note", "Demo call"),
            ("appointment_timestamp", "1932827400"),
            ("contact_emails", EMAIL),
        ],
    );
}

#[test]
fn appointment_note_fixed_by_the_profile_wins_over_the_visitors() {
    let edge = shared();
    let email = unique_email("seminar");
    edge.assert_forwards(
        "seminar",
        &[
            ("email", &email),
            ("phone", "5554443333"),
            ("appointment_note", "my own note"),
            ("appointment_timestamp", "1932827400"),
        ],
        &email,
        &[
            ("mode", "scheduleappointment"),
            ("appointment_note", "Virtual Training Seminar"),
            ("appointment_timestamp", "1932827400"),
            ("contact_emails", &email),
            ("contact_phones", "+15554443333"),
        ],
    );
}

/// `check(local time string, UNIX seconds CLOSEM must receive)` in the worker's CLOSEM_TIMEZONE,
/// America/New_York: UTC-5 in winter, UTC-4 in summer.
#[test]
fn appointment_strings_are_read_in_the_company_timezone() {
    let check =
        |local: &str, expected: &str| assert_appointment_at(shared(), "timezone", local, expected);
    // 2030-12-01 14:00 UTC.
    check("12/01/2030 09:00 AM", "1922364000");
    check("12/01/30 09:00 am", "1922364000");
    // 2030-07-01 13:00 UTC: daylight saving time.
    check("07/01/2030 09:00 AM", "1909141200");
    // A native post's `datetime-local` value is a wall time too; its seconds are dropped.
    check("2030-12-01T09:00", "1922364000");
    check("2030-07-01T09:00:30", "1909141200");
    // 2031-04-01 16:30 UTC.
    check("04/01/2031 12:30 PM", "1932827400");
}

/// Wall times that do not exist or exist twice in the company timezone resolve as calendars do
/// (and as `Temporal`'s "compatible" rule says): a time in the spring-forward gap moves forward by
/// the gap, a time in the autumn overlap is its first occurrence.
#[test]
fn appointment_strings_at_daylight_saving_changes_resolve_like_calendars() {
    let check =
        |local: &str, expected: &str| assert_appointment_at(shared(), "dst", local, expected);
    // New York skips 02:00-03:00 on 2031-03-09: 02:30 is taken as 03:30 EDT (07:30 UTC).
    check("03/09/2031 02:30 AM", "1930807800");
    // Either side of the gap: 01:30 EST (06:30 UTC) and 03:30 EDT (07:30 UTC).
    check("03/09/2031 01:30 AM", "1930804200");
    check("03/09/2031 03:30 AM", "1930807800");
    // 01:30 happens twice on 2031-11-02: the first, in EDT, is 05:30 UTC.
    check("11/02/2031 01:30 AM", "1951363800");
}

/// The same rules east of Greenwich, where offsets are positive (a sign the resolver must not
/// depend on).
#[test]
fn appointment_strings_at_daylight_saving_changes_resolve_alike_in_berlin() {
    let edge = Edge::start_in(forms(), "Europe/Berlin");
    let check =
        |local: &str, expected: &str| assert_appointment_at(&edge, "berlin", local, expected);
    // 09:00 CET is 08:00 UTC.
    check("12/01/2030 09:00 AM", "1922342400");
    // Berlin skips 02:00-03:00 on 2031-03-30: 02:30 is taken as 03:30 CEST (01:30 UTC).
    check("03/30/2031 02:30 AM", "1932600600");
    // 02:30 happens twice on 2031-10-26: the first, in CEST, is 00:30 UTC.
    check("10/26/2031 02:30 AM", "1950741000");
}

#[test]
fn each_success_has_its_own_submission_id() {
    let edge = shared();
    let first = edge.post("plain", &[("email", &unique_email("id"))]);
    let second = edge.post("plain", &[("email", &unique_email("id"))]);
    first.assert_delivered();
    second.assert_delivered();
    assert_ne!(first.json()["id"], second.json()["id"]);
}

/// Posts an appointment at the wall time `local` to `edge` and checks the UNIX seconds CLOSEM
/// received.
fn assert_appointment_at(edge: &Edge, marker: &str, local: &str, expected: &str) {
    let email = unique_email(marker);
    edge.post(
        "appointment",
        &[
            ("email", &email),
            ("appointment_note", "Demo call"),
            ("appointment_timestamp", local),
        ],
    )
    .assert_delivered();
    let fields = edge.forwarded(&email);
    assert_eq!(
        value_of(&fields, "appointment_timestamp"),
        expected,
        "{local}"
    );
}
