//! The reference's own `curl --form` examples (rev 1.22), aimed at `/f/{form id}` as multipart form
//! data the way curl sends them. The docs' `[email protected]` (Cloudflare's email obfuscation) is
//! replaced by real addresses and the docs' past appointment date by a future one.

use crate::edge_support::{assert_fields, shared, unique_email, with_email, Encoding, EMAIL};

/// Every `--form` line of the "Mode - Add Contact" section, in order.
const ADD_CONTACT: &[(&str, &str)] = &[
    ("mode", "addcontact"),
    ("upsert", "true"),
    ("phone", "9999999998"),
    ("email", EMAIL),
    ("fullname", "John Doe"),
    ("firstname", "John"),
    ("lastname", "Doe"),
    ("notes", "Example Users note"),
    ("address", "123 Testing Street"),
    ("city", "Example Users city"),
    ("state", "CA"),
    ("zip", "99999"),
    ("tags", "42,57"),
    ("contactlists", "18,32"),
    ("sequence_id", "99"),
];

/// Every `--form` line of the "Mode - Run Sequence" section.
const RUN_SEQUENCE: &[(&str, &str)] = &[
    ("mode", "runsequence"),
    ("sequence_id", "55"),
    ("contact_emails", "ann@example.com,bob@example.com"),
    ("contact_phones", "+15554443333,777-888-9999"),
    ("contactlists", "18,32"),
    ("tags", "42,57"),
];

/// Every `--form` line of the "Mode - Schedule Appointment" section, 2022 moved to 2031.
const SCHEDULE_APPOINTMENT: &[(&str, &str)] = &[
    ("mode", "scheduleappointment"),
    ("appointment_note", "Virtural Training Seminar"),
    ("appointment_timestamp", "04/01/2031 12:30 PM"),
    ("contact_emails", "ann@example.com,bob@example.com"),
    ("contact_phones", "+15554443333,1-777-888-9999"),
    ("contactlists", "18,32"),
    ("tags", "42,57"),
];

/// The addcontact example with `email` for its address (the sandbox's tests send it too).
pub(crate) fn add_contact_example(email: &str) -> Vec<(&str, &str)> {
    with_email(ADD_CONTACT, email)
}

/// Posts the addcontact example to `form` as curl does, with an address of its own, and expects it
/// accepted; returns the address.
fn post_add_contact_example(form: &str) -> String {
    let email = unique_email("curl-addcontact");
    shared()
        .post_as(form, &add_contact_example(&email), Encoding::Multipart)
        .assert_delivered();
    email
}

#[test]
fn add_contact_example_reaches_closem_through_a_matching_profile() {
    let email = post_add_contact_example("contact");
    // The visitor's control fields are ignored; the `contact` profile sets the same ones itself.
    // The full name wins over first and last, as the reference says.
    let mut expected = example_contact(&email);
    expected.extend([
        ("upsert", "true"),
        ("tags", "42,57"),
        ("contactlists", "18,32"),
        ("sequence_id", "99"),
    ]);
    assert_fields(&shared().forwarded(&email), &expected);
}

#[test]
fn add_contact_example_to_a_plain_profile_loses_its_control_fields() {
    let email = post_add_contact_example("plain");
    assert_fields(&shared().forwarded(&email), &example_contact(&email));
}

/// What CLOSEM receives of the addcontact example's contact, whichever profile takes it.
fn example_contact(email: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("mode", "addcontact"),
        ("phone", "+19999999998"),
        ("email", email),
        ("fullname", "John Doe"),
        ("notes", "Example Users note"),
        ("address", "123 Testing Street"),
        ("city", "Example Users city"),
        ("state", "CA"),
        ("zip", "99999"),
    ]
}

#[test]
fn run_sequence_example_cannot_target_anyone_through_the_edge() {
    let edge = shared();
    // Every target in the example is a control field: the visitor named nobody.
    edge.post_as("sequence", RUN_SEQUENCE, Encoding::Multipart)
        .assert_issues(422, &["email.contact"]);
    edge.assert_not_forwarded("ann@example.com");

    // With the visitor's own address the sequence runs on the visitor alone.
    let email = unique_email("curl-sequence");
    let mut fields = RUN_SEQUENCE.to_vec();
    fields.push(("email", &email));
    edge.post_as("sequence", &fields, Encoding::Multipart)
        .assert_delivered();
    edge.assert_sequence_ran_for(&email);
}

#[test]
fn schedule_appointment_example_schedules_for_the_visitor_only() {
    let edge = shared();
    edge.post_as("appointment", SCHEDULE_APPOINTMENT, Encoding::Multipart)
        .assert_issues(422, &["email.contact"]);

    let email = unique_email("curl-appointment");
    let mut fields = SCHEDULE_APPOINTMENT.to_vec();
    fields.push(("email", &email));
    fields.push(("phone", "1-777-888-9999"));
    edge.post_as("appointment", &fields, Encoding::Multipart)
        .assert_delivered();
    assert_fields(
        &edge.forwarded(&email),
        &[
            ("mode", "scheduleappointment"),
            ("appointment_note", "Virtural Training Seminar"),
            // 12:30 PM in America/New_York (daylight time) is 16:30 UTC.
            ("appointment_timestamp", "1932827400"),
            ("contact_emails", &email),
            ("contact_phones", "+17778889999"),
        ],
    );
    edge.assert_not_forwarded("ann@example.com");
}
