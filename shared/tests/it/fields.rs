//! Every documented alias reaches CLOSEM under its canonical name.

use closem_shared::{parse, Class, Field, Mode};

use crate::{ctx, render_fields};

/// alias, field, mode of a request that uses it, value sent, value CLOSEM receives
/// (`None`: the field never reaches the encoded request).
const ALIASES: &[(&str, Field, &str, &str, Option<&str>)] = &[
    (
        "mode",
        Field::Mode,
        "addcontact",
        "addcontact",
        Some("addcontact"),
    ),
    ("upsert", Field::Upsert, "addcontact", "yes", Some("true")),
    (
        "phone",
        Field::Phone,
        "addcontact",
        "9999999998",
        Some("+19999999998"),
    ),
    (
        "phonenumber",
        Field::Phone,
        "addcontact",
        "9999999998",
        Some("+19999999998"),
    ),
    (
        "number",
        Field::Phone,
        "addcontact",
        "9999999998",
        Some("+19999999998"),
    ),
    (
        "phone_number",
        Field::Phone,
        "addcontact",
        "9999999998",
        Some("+19999999998"),
    ),
    (
        "email",
        Field::Email,
        "addcontact",
        "jo@Example.COM",
        Some("jo@example.com"),
    ),
    (
        "mail",
        Field::Email,
        "addcontact",
        "jo@Example.COM",
        Some("jo@example.com"),
    ),
    (
        "emailaddress",
        Field::Email,
        "addcontact",
        "jo@Example.COM",
        Some("jo@example.com"),
    ),
    (
        "email_address",
        Field::Email,
        "addcontact",
        "jo@Example.COM",
        Some("jo@example.com"),
    ),
    (
        "fullname",
        Field::FullName,
        "addcontact",
        "John Doe",
        Some("John Doe"),
    ),
    (
        "name",
        Field::FullName,
        "addcontact",
        "John Doe",
        Some("John Doe"),
    ),
    (
        "full_name",
        Field::FullName,
        "addcontact",
        "John Doe",
        Some("John Doe"),
    ),
    (
        "firstname",
        Field::FirstName,
        "addcontact",
        "John",
        Some("John"),
    ),
    (
        "first",
        Field::FirstName,
        "addcontact",
        "John",
        Some("John"),
    ),
    (
        "first_name",
        Field::FirstName,
        "addcontact",
        "John",
        Some("John"),
    ),
    (
        "lastname",
        Field::LastName,
        "addcontact",
        "Doe",
        Some("Doe"),
    ),
    ("last", Field::LastName, "addcontact", "Doe", Some("Doe")),
    (
        "last_name",
        Field::LastName,
        "addcontact",
        "Doe",
        Some("Doe"),
    ),
    (
        "notes",
        Field::Notes,
        "addcontact",
        "a note",
        Some("a note"),
    ),
    ("note", Field::Notes, "addcontact", "a note", Some("a note")),
    (
        "address",
        Field::Address,
        "addcontact",
        "123 Testing Street",
        Some("123 Testing Street"),
    ),
    (
        "street",
        Field::Address,
        "addcontact",
        "123 Testing Street",
        Some("123 Testing Street"),
    ),
    (
        "city",
        Field::City,
        "addcontact",
        "Springfield",
        Some("Springfield"),
    ),
    ("state", Field::State, "addcontact", "CA", Some("CA")),
    ("zip", Field::Zip, "addcontact", "99999", Some("99999")),
    ("zip_code", Field::Zip, "addcontact", "99999", Some("99999")),
    ("zipcode", Field::Zip, "addcontact", "99999", Some("99999")),
    ("tags", Field::Tags, "addcontact", "42, 57", Some("42,57")),
    ("tag", Field::Tags, "addcontact", "42, 57", Some("42,57")),
    (
        "contactlists",
        Field::ContactLists,
        "addcontact",
        "18 ,32",
        Some("18,32"),
    ),
    (
        "contactlist",
        Field::ContactLists,
        "addcontact",
        "18 ,32",
        Some("18,32"),
    ),
    (
        "contact_lists",
        Field::ContactLists,
        "addcontact",
        "18 ,32",
        Some("18,32"),
    ),
    (
        "contact_list",
        Field::ContactLists,
        "addcontact",
        "18 ,32",
        Some("18,32"),
    ),
    (
        "sequence_id",
        Field::SequenceId,
        "addcontact",
        "99",
        Some("99"),
    ),
    (
        "contact_emails",
        Field::ContactEmails,
        "runsequence",
        "a@b.co, c@D.co",
        Some("a@b.co,c@d.co"),
    ),
    (
        "contact_phones",
        Field::ContactPhones,
        "runsequence",
        "777-888-9999",
        Some("+17778889999"),
    ),
    (
        "appointment_note",
        Field::AppointmentNote,
        "scheduleappointment",
        "Demo",
        Some("Demo"),
    ),
    (
        "appointment_timestamp",
        Field::AppointmentTimestamp,
        "scheduleappointment",
        "1700000000",
        Some("1700000000"),
    ),
    // The API key and `m=api` travel in the query string, added by the edge, never as fields.
    ("auth", Field::Auth, "addcontact", "secret", None),
    ("m", Field::M, "addcontact", "api", None),
];

/// The fields a request of `mode` needs besides the one under test.
fn base(mode: &str, field: Field) -> Vec<(String, String)> {
    let mut pairs = vec![("mode".to_owned(), mode.to_owned())];
    let mut add = |name: &str, value: &str| pairs.push((name.to_owned(), value.to_owned()));
    match Mode::parse(mode) {
        Some(Mode::AddContact) if field != Field::Email && field != Field::Phone => {
            add("phone", "+15554443333")
        }
        Some(Mode::RunSequence) => {
            add("sequence_id", "55");
            if field != Field::ContactEmails && field != Field::ContactPhones {
                add("tags", "1");
            }
        }
        Some(Mode::ScheduleAppointment) => {
            if field != Field::AppointmentNote {
                add("appointment_note", "Demo");
            }
            if field != Field::AppointmentTimestamp {
                add("appointment_timestamp", "1700000000");
            }
            add("contact_lists", "18");
        }
        _ => {}
    }
    pairs
}

#[test]
fn every_alias_reaches_closem_under_its_canonical_name() {
    for &(alias, field, mode, value, expected) in ALIASES {
        assert_eq!(Field::from_name(alias), Some(field), "{alias}");
        assert_eq!(
            Field::from_name(&format!(" {} ", alias.to_uppercase())),
            Some(field),
            "{alias} uppercased"
        );

        let mut pairs = base(mode, field);
        if field != Field::Mode {
            pairs.push((alias.to_owned(), value.to_owned()));
        }
        let encoded = match parse(&pairs, &ctx()) {
            Ok(submission) => submission.encode(),
            Err(issues) => panic!("{alias}: {issues:?}"),
        };
        let sent = encoded.iter().find(|(name, _)| *name == field.canonical());
        assert_eq!(
            sent.map(|(_, value)| value.as_str()),
            expected,
            "{alias}: {}",
            render_fields(&encoded)
        );
    }
}

#[test]
fn alias_table_covers_every_documented_alias_and_canonical_names_come_first() {
    let mut documented: Vec<&str> = Field::ALL
        .iter()
        .flat_map(|field| field.aliases().iter().copied())
        .collect();
    let mut tested: Vec<&str> = ALIASES.iter().map(|row| row.0).collect();
    documented.sort_unstable();
    tested.sort_unstable();
    assert_eq!(documented, tested);
    let canonical: Vec<&str> = Field::ALL.iter().map(|field| field.canonical()).collect();
    assert_eq!(
        canonical.join(" "),
        "mode upsert phone email fullname firstname lastname notes address city state zip tags \
         contactlists sequence_id contact_emails contact_phones appointment_note appointment_timestamp auth m"
    );
}

#[test]
fn control_fields_are_exactly_those_only_a_profile_sets() {
    let control: Vec<&str> = Field::ALL
        .iter()
        .filter(|field| field.is_control())
        .map(|field| field.canonical())
        .collect();
    assert_eq!(
        control.join(" "),
        "mode upsert tags contactlists sequence_id contact_emails contact_phones auth m"
    );
    assert_eq!(Field::from_name("website"), None);
    assert_eq!(Field::from_name(""), None);
}

/// The classes every rule derives from (`Field::class`), pinned: a field moving class changes
/// what a visitor may send, what a mode forwards and how its text is checked.
#[test]
fn field_classes_are_the_documented_ones() {
    let names = |keep: &dyn Fn(Field) -> bool| -> String {
        let names: Vec<&str> = Field::ALL
            .into_iter()
            .filter(|&field| keep(field))
            .map(Field::canonical)
            .collect();
        names.join(" ")
    };
    assert_eq!(
        names(&|field| field.class() == Class::Contact),
        "phone email fullname firstname lastname notes address city state zip"
    );
    assert_eq!(
        names(&|field| field.class() == Class::Appointment),
        "appointment_note appointment_timestamp"
    );
    assert_eq!(
        names(&Field::is_text),
        "fullname firstname lastname notes address city state zip appointment_note"
    );
    assert_eq!(names(&Field::is_multiline), "notes appointment_note");
    assert_eq!(
        names(&Field::is_list),
        "tags contactlists contact_emails contact_phones"
    );
}

#[test]
fn modes_parse_and_print() {
    for mode in Mode::ALL {
        assert_eq!(Mode::parse(mode.as_str()), Some(mode));
    }
    assert_eq!(Mode::parse(" RunSequence "), Some(Mode::RunSequence));
    assert_eq!(Mode::parse("deletecontact"), None);
}

/// The messages that quote a cap quote the constant's value (issue 15): a cap changed in one
/// place cannot leave a message promising the old one.
#[test]
fn messages_quote_the_caps() {
    use closem_shared::{message, IssueKind, MAX_LIST_ITEMS, MAX_LONG_TEXT, MAX_TEXT};
    let cases = [
        (Field::Tags, MAX_LIST_ITEMS),
        (Field::ContactEmails, MAX_LIST_ITEMS),
        (Field::Notes, MAX_LONG_TEXT),
        (Field::AppointmentNote, MAX_LONG_TEXT),
        (Field::FullName, MAX_TEXT),
        (Field::City, MAX_TEXT),
    ];
    for (field, cap) in cases {
        let text = message(Some(field), IssueKind::TooLong);
        let quoted: String = text.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(quoted, cap.to_string(), "{field:?}: {text}");
    }
}
