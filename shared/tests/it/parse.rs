//! Whole requests: per-mode rules, repeated names, and complete issue lists.

use closem_shared::{parse, parse_for_mode, Issue, IssueKind, Mode};

use crate::{ctx, render};

fn check(pairs: &[(&str, &str)], expected: &str) {
    assert_eq!(render(&parse(pairs, &ctx())), expected, "{pairs:?}");
}

#[test]
fn mode() {
    check(&[("phone", "777-888-9999")], "! mode.required");
    check(
        &[("mode", " "), ("phone", "777-888-9999")],
        "! mode.required",
    );
    check(&[("mode", "deletecontact")], "! mode.unknown");
    check(
        &[("mode", "addcontact"), ("MODE", "runsequence")],
        "! mode.conflict",
    );
    check(
        &[
            ("mode", "addcontact"),
            ("mode", "AddContact"),
            ("phone", "777-888-9999"),
        ],
        "mode=addcontact&phone=+17778889999",
    );
}

#[test]
fn add_contact_rules() {
    check(&[("mode", "addcontact")], "! email.contact");
    check(
        &[("mode", "addcontact"), ("email", ""), ("phone", "  ")],
        "! email.contact",
    );
    check(
        &[("mode", "addcontact"), ("email", "jo@example.com")],
        "mode=addcontact&email=jo@example.com",
    );
    // Full name wins; first and last are not even checked then.
    check(
        &[
            ("mode", "addcontact"),
            ("phone", "7778889999"),
            ("first", "Jo"),
            ("name", "John Doe"),
            ("last", &"x".repeat(300)),
        ],
        "mode=addcontact&phone=+17778889999&fullname=John Doe",
    );
    check(
        &[
            ("mode", "addcontact"),
            ("phone", "7778889999"),
            ("last", "Doe"),
        ],
        "mode=addcontact&phone=+17778889999&lastname=Doe",
    );
    check(
        &[
            ("mode", "addcontact"),
            ("phone", "7778889999"),
            ("upsert", "0"),
        ],
        "mode=addcontact&phone=+17778889999",
    );
    check(
        &[
            ("mode", "addcontact"),
            ("phone", "7778889999"),
            ("upsert", "sure"),
        ],
        "! upsert.format",
    );
    // Fields of other modes, unknown names and credentials are not part of addcontact.
    check(
        &[
            ("mode", "addcontact"),
            ("phone", "7778889999"),
            ("appointment_note", "x"),
            ("appointment_timestamp", "yesterday"),
            ("contact_emails", "nope"),
            ("website", "spam"),
            ("auth", "key"),
        ],
        "mode=addcontact&phone=+17778889999",
    );
}

#[test]
fn repeated_names() {
    let base = [("mode", "addcontact"), ("phone", "7778889999")];
    let with = |extra: &[(&'static str, &'static str)]| [&base[..], extra].concat();
    check(
        &with(&[("phone_number", "+1 (777) 888-9999")]),
        "mode=addcontact&phone=+17778889999",
    );
    check(&with(&[("number", "5554443333")]), "! phone.conflict");
    check(
        &with(&[("city", "A"), ("city", " A ")]),
        "mode=addcontact&phone=+17778889999&city=A",
    );
    check(&with(&[("city", "A"), ("city", "B")]), "! city.conflict");
    check(
        &with(&[("city", "A"), ("city", "")]),
        "mode=addcontact&phone=+17778889999&city=A",
    );
    check(
        &with(&[("tags", "1,2"), ("tag", "2,3"), ("TAGS", "")]),
        "mode=addcontact&phone=+17778889999&tags=1,2,3",
    );
    check(
        &with(&[("sequence_id", "5"), ("sequence_id", "6")]),
        "! sequence_id.conflict",
    );
}

#[test]
fn run_sequence_rules() {
    check(
        &[("mode", "runsequence")],
        "! sequence_id.required contact_emails.target",
    );
    check(
        &[
            ("mode", "runsequence"),
            ("sequence_id", "42,57"),
            ("tags", "1"),
        ],
        "! sequence_id.multiple",
    );
    check(
        &[
            ("mode", "runsequence"),
            ("sequence_id", "abc"),
            ("tags", "1"),
        ],
        "! sequence_id.format",
    );
    check(
        &[
            ("mode", "runsequence"),
            ("sequence_id", ",,"),
            ("tags", "1"),
        ],
        "! sequence_id.format",
    );
    check(
        &[("mode", "runsequence"), ("sequence_id", "5"), ("tags", ",")],
        "! contact_emails.target",
    );
    check(
        &[
            ("mode", "runsequence"),
            ("sequence_id", "5"),
            ("contact_emails", "a@b.co"),
            ("contact_emails", "c@d.co,a@b.co"),
        ],
        "mode=runsequence&sequence_id=5&contact_emails=a@b.co,c@d.co",
    );
    let many: Vec<String> = (0..101).map(|n| format!("{}", 2_002_000_000 + n)).collect();
    check(
        &[
            ("mode", "runsequence"),
            ("sequence_id", "5"),
            ("contact_phones", &many.join(",")),
        ],
        "! contact_phones.too_long",
    );
}

#[test]
fn schedule_appointment_rules() {
    check(
        &[("mode", "scheduleappointment")],
        "! appointment_note.required appointment_timestamp.required contact_emails.target",
    );
    check(
        &[
            ("mode", "scheduleappointment"),
            ("appointment_note", &"n".repeat(2001)),
            ("appointment_timestamp", "soon"),
            ("contact_phones", "12"),
        ],
        "! appointment_note.too_long appointment_timestamp.format contact_phones.format",
    );
}

#[test]
fn every_issue_is_listed_at_once() {
    check(
        &[
            ("mode", "addcontact"),
            ("phone", "555-444-CALL"),
            ("email", "[email protected]"),
            ("fullname", &"n".repeat(257)),
            ("notes", "a"),
            ("note", "b"),
            ("zip", &"9".repeat(300)),
            ("upsert", "perhaps"),
            ("tags", "vip"),
            ("contactlists", "1,x"),
            ("sequence_id", "1,2"),
        ],
        "! phone.format email.format fullname.too_long notes.conflict zip.too_long upsert.format tags.format \
         contactlists.format sequence_id.multiple",
    );
}

#[test]
fn parse_for_mode_ignores_mode_and_credentials() {
    let pairs = [
        ("mode", "runsequence"),
        ("auth", "key"),
        ("m", "api"),
        ("email", "jo@example.com"),
    ];
    let parsed = parse_for_mode(Mode::AddContact, &pairs, &ctx());
    assert_eq!(render(&parsed), "mode=addcontact&email=jo@example.com");
}

#[test]
fn issues_read_well() {
    let issue = Issue::new(closem_shared::Field::Phone, IssueKind::Format);
    assert_eq!(issue.code(), "phone.format");
    assert_eq!(
        issue.to_string(),
        "phone: phone must look like +1 (555) 444-3333"
    );
    let kinds = [
        IssueKind::Required,
        IssueKind::Format,
        IssueKind::Conflict,
        IssueKind::Multiple,
        IssueKind::Past,
        IssueKind::TooLong,
        IssueKind::Unknown,
        IssueKind::Control,
        IssueKind::Contact,
        IssueKind::Target,
    ];
    let codes: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
    assert_eq!(
        codes.join(" "),
        "required format conflict multiple past too_long unknown control contact target"
    );
    for field in closem_shared::Field::ALL {
        for kind in kinds {
            let message = closem_shared::message(Some(field), kind);
            let lowercase_start = message.chars().next().is_some_and(|c| c.is_lowercase());
            assert!(
                lowercase_start && !message.ends_with('.'),
                "{field:?} {kind:?}: {message}"
            );
        }
    }
    assert_eq!(
        closem_shared::message(None, IssueKind::Contact),
        "enter a phone number or an email address"
    );
    assert_eq!(
        closem_shared::message(None, IssueKind::Past),
        "choose a time in the future"
    );
}
