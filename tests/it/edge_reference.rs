//! The reference's own `curl --form` examples (rev 1.22), aimed at `/f/{form id}` as multipart form
//! data the way curl sends them. The docs' `[email protected]` (Cloudflare's email obfuscation) is
//! replaced by real addresses and the docs' past appointment date by a future one.

use crate::edge_support::{assert_fields, shared, unique_email, Encoding};

/// Every `--form` line of the "Mode - Add Contact" section, in order.
fn add_contact_example(email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mode", "addcontact".into()),
        ("upsert", "true".into()),
        ("phone", "9999999998".into()),
        ("email", email.to_string()),
        ("fullname", "John Doe".into()),
        ("firstname", "John".into()),
        ("lastname", "Doe".into()),
        ("notes", "Example Users note".into()),
        ("address", "123 Testing Street".into()),
        ("city", "Example Users city".into()),
        ("state", "CA".into()),
        ("zip", "99999".into()),
        ("tags", "42,57".into()),
        ("contactlists", "18,32".into()),
        ("sequence_id", "99".into()),
    ]
}

/// Every `--form` line of the "Mode - Run Sequence" section.
fn run_sequence_example() -> Vec<(&'static str, String)> {
    vec![
        ("mode", "runsequence".into()),
        ("sequence_id", "55".into()),
        ("contact_emails", "ann@example.com,bob@example.com".into()),
        ("contact_phones", "+15554443333,777-888-9999".into()),
        ("contactlists", "18,32".into()),
        ("tags", "42,57".into()),
    ]
}

/// Every `--form` line of the "Mode - Schedule Appointment" section, 2022 moved to 2031.
fn schedule_appointment_example() -> Vec<(&'static str, String)> {
    vec![
        ("mode", "scheduleappointment".into()),
        ("appointment_note", "Virtural Training Seminar".into()),
        ("appointment_timestamp", "04/01/2031 12:30 PM".into()),
        ("contact_emails", "ann@example.com,bob@example.com".into()),
        ("contact_phones", "+15554443333,1-777-888-9999".into()),
        ("contactlists", "18,32".into()),
        ("tags", "42,57".into()),
    ]
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

#[test]
fn add_contact_example_reaches_closem_through_a_matching_profile() {
    let edge = shared();
    let email = unique_email("curl-addcontact");
    let example = add_contact_example(&email);
    edge.post_as("contact", &borrowed(&example), Encoding::Multipart)
        .assert_delivered();
    // The visitor's control fields are ignored; the `contact` profile sets the same ones itself.
    // The full name wins over first and last, as the reference says.
    let mut expected = example_contact(&email);
    expected.extend([
        ("upsert", "true"),
        ("tags", "42,57"),
        ("contactlists", "18,32"),
        ("sequence_id", "99"),
    ]);
    assert_fields(&edge.forwarded(&email), &expected);
}

#[test]
fn add_contact_example_to_a_plain_profile_loses_its_control_fields() {
    let edge = shared();
    let email = unique_email("curl-plain");
    let example = add_contact_example(&email);
    edge.post_as("plain", &borrowed(&example), Encoding::Multipart)
        .assert_delivered();
    assert_fields(&edge.forwarded(&email), &example_contact(&email));
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
    let example = run_sequence_example();
    // Every target in the example is a control field: the visitor named nobody.
    edge.post_as("sequence", &borrowed(&example), Encoding::Multipart)
        .assert_issues(422, &["email.contact"]);
    edge.assert_not_forwarded("ann@example.com");

    // With the visitor's own address the sequence runs on the visitor alone.
    let email = unique_email("curl-sequence");
    let mut fields = borrowed(&example);
    fields.push(("email", &email));
    edge.post_as("sequence", &fields, Encoding::Multipart)
        .assert_delivered();
    edge.assert_sequence_ran_for(&email);
}

#[test]
fn schedule_appointment_example_schedules_for_the_visitor_only() {
    let edge = shared();
    let example = schedule_appointment_example();
    edge.post_as("appointment", &borrowed(&example), Encoding::Multipart)
        .assert_issues(422, &["email.contact"]);

    let email = unique_email("curl-appointment");
    let mut fields = borrowed(&example);
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
