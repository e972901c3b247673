//! One field at a time: phones, emails, ids, timestamps, booleans, text.

use closem_shared::{
    check_value, days_from_civil, Context, Email, Field, Id, IdList, IssueKind, LocalDateTime,
    Phone,
};

use crate::{ctx, NOW};

/// Asserts that `parse` reads `input` as `expected` (the canonical text, or the issue), and
/// that the canonical text reads as itself.
fn check_canonical<T: Clone + PartialEq + std::fmt::Debug>(
    parse: fn(&str) -> Result<T, IssueKind>,
    text: fn(&T) -> &str,
    input: &str,
    expected: Result<&str, IssueKind>,
) {
    let parsed = parse(input);
    assert_eq!(
        parsed.as_ref().map(text).map_err(|kind| *kind),
        expected,
        "{input:?}"
    );
    if let Ok(value) = parsed {
        assert_eq!(
            parse(text(&value)),
            Ok(value.clone()),
            "canonical {input:?} is stable"
        );
    }
}

fn check_phone(input: &str, expected: Result<&str, IssueKind>) {
    check_canonical(Phone::parse, Phone::as_str, input, expected);
}

#[test]
fn phones() {
    use IssueKind::Format;
    check_phone("+1 (555) 444-3333", Ok("+15554443333"));
    check_phone("+15554443333", Ok("+15554443333"));
    check_phone("15554443333", Ok("+15554443333"));
    check_phone("1-777-888-9999", Ok("+17778889999"));
    check_phone("777-888-9999", Ok("+17778889999"));
    check_phone("9999999998", Ok("+19999999998"));
    check_phone("(555) 444-3333", Ok("+15554443333"));
    check_phone("555.444.3333", Ok("+15554443333"));
    check_phone("+1 555 444 3333", Ok("+15554443333"));
    check_phone("  +1(555)444-3333  ", Ok("+15554443333"));
    check_phone("555-444-333", Err(Format));
    check_phone("555-444-33333", Err(Format));
    check_phone("25554443333", Err(Format));
    check_phone("+5554443333", Err(Format));
    check_phone("+44 20 7946 0958", Err(Format));
    check_phone("555-444-CALL", Err(Format));
    check_phone("555 444 3333 ext 12", Err(Format));
    check_phone("1+5554443333", Err(Format));
    check_phone("(555 444-3333", Err(Format));
    check_phone("555) 444-3333", Err(Format));
    check_phone("((555)) 444-3333", Err(Format));
    check_phone("５５５４４４３３３３", Err(Format));
    check_phone("", Err(Format));
    check_phone("1-555-444-3333------------------------", Err(Format));
}

fn check_email(input: &str, expected: Result<&str, IssueKind>) {
    check_canonical(Email::parse, Email::as_str, input, expected);
}

#[test]
fn emails() {
    use IssueKind::Format;
    check_email("name@example.com", Ok("name@example.com"));
    check_email(
        "  John.Doe+crm@Mail.Example.CO.uk ",
        Ok("John.Doe+crm@mail.example.co.uk"),
    );
    check_email("o'brien@my-site.io", Ok("o'brien@my-site.io"));
    // The reference's examples, mangled by Cloudflare's email obfuscation.
    check_email("[email protected]", Err(Format));
    check_email("name@example", Err(Format));
    check_email("name@@example.com", Err(Format));
    check_email("a@b@example.com", Err(Format));
    check_email("@example.com", Err(Format));
    check_email("name@", Err(Format));
    check_email("na me@example.com", Err(Format));
    check_email("name@exa_mple.com", Err(Format));
    check_email("name@-example.com", Err(Format));
    check_email("name@example..com", Err(Format));
    check_email(".name@example.com", Err(Format));
    check_email("na..me@example.com", Err(Format));
    check_email("name@1.2.3.4", Err(Format));
    check_email("name\u{0}@example.com", Err(Format));
    check_email("nämé@example.com", Err(Format));
    check_email(&format!("{}@example.com", "a".repeat(65)), Err(Format));
    check_email(&format!("a@{}.com", "b".repeat(64)), Err(Format));
    let long_domain = vec!["d".repeat(60); 5].join(".");
    check_email(&format!("a@{long_domain}"), Err(Format));
    check_email("", Err(Format));
}

fn check_ids(input: &str, expected: Result<&str, IssueKind>) {
    assert_eq!(
        IdList::parse(input).map(|ids| ids.encode()),
        expected.map(str::to_owned),
        "{input:?}"
    );
}

#[test]
fn id_lists() {
    check_ids("42,57", Ok("42,57"));
    check_ids(" 42 , 57 ,, 42,", Ok("42,57"));
    check_ids("007,7", Ok("7"));
    check_ids("", Ok(""));
    check_ids(",", Ok(""));
    check_ids("42,abc", Err(IssueKind::Format));
    check_ids("-1", Err(IssueKind::Format));
    check_ids("4 2", Err(IssueKind::Format));
    check_ids("99999999999999999999999", Err(IssueKind::Format));
    let hundred: Vec<String> = (1..=100).map(|id| id.to_string()).collect();
    check_ids(&hundred.join(","), Ok(&hundred.join(",")));
    check_ids(
        &format!("{},101", hundred.join(",")),
        Err(IssueKind::TooLong),
    );
    check_ids(
        &format!("{},100,1", hundred.join(",")),
        Ok(&hundred.join(",")),
    );
}

fn check_sequence(input: &str, expected: Result<Option<u64>, IssueKind>) {
    assert_eq!(
        Id::parse_single(input).map(|id| id.map(Id::get)),
        expected,
        "{input:?}"
    );
}

#[test]
fn sequence_ids() {
    check_sequence("99", Ok(Some(99)));
    check_sequence(" 99, ", Ok(Some(99)));
    check_sequence("", Ok(None));
    check_sequence("42,57", Err(IssueKind::Multiple));
    check_sequence("42,x", Err(IssueKind::Format));
    check_sequence("x", Err(IssueKind::Format));
}

/// 2022-04-01 12:30 UTC, the reference's example read as UTC.
const APRIL_FIRST: i64 = 1_648_816_200;

fn check_time(input: &str, expected: Result<i64, IssueKind>) {
    let checked = check_value(Field::AppointmentTimestamp, input, &ctx());
    assert_eq!(
        checked,
        expected.map(|seconds| seconds.to_string()),
        "{input:?}"
    );
    if let Ok(seconds) = checked {
        let again = check_value(Field::AppointmentTimestamp, &seconds, &ctx());
        assert_eq!(
            again.as_ref(),
            Ok(&seconds),
            "normalised {input:?} is stable"
        );
    }
}

#[test]
fn timestamps() {
    use IssueKind::{Format, Past};
    check_time("04/01/2022 12:30 PM", Ok(APRIL_FIRST));
    check_time("04/01/22 12:30 PM", Ok(APRIL_FIRST));
    check_time("04/01/2022   12:30   pm", Ok(APRIL_FIRST));
    check_time("04/01/2022 12:30 Pm", Ok(APRIL_FIRST));
    check_time("04/01/2022 12:30PM", Ok(APRIL_FIRST));
    check_time("4/1/2022 12:30 PM", Ok(APRIL_FIRST));
    check_time("04/01/2022 12:30 AM", Ok(APRIL_FIRST - 12 * 3600));
    check_time("04/01/2022 01:05 am", Ok(APRIL_FIRST - 11 * 3600 - 25 * 60));
    check_time("04/01/2022 11:59 PM", Ok(APRIL_FIRST + 11 * 3600 + 29 * 60));
    check_time("02/29/2024 09:00 AM", Ok(1_709_197_200));
    check_time("1648816200", Ok(APRIL_FIRST));
    check_time(" 1648816200 ", Ok(APRIL_FIRST));
    check_time("1600000001", Ok(NOW + 1));
    check_time("1600000000", Err(Past));
    check_time("1", Err(Past));
    check_time("09/13/2020 12:26 PM", Err(Past));
    check_time("02/29/2023 09:00 AM", Err(Format));
    check_time("02/29/2100 09:00 AM", Err(Format));
    check_time("04/31/2022 09:00 AM", Err(Format));
    check_time("13/01/2022 09:00 AM", Err(Format));
    check_time("00/01/2022 09:00 AM", Err(Format));
    check_time("04/00/2022 09:00 AM", Err(Format));
    check_time("04/01/2022 13:00 PM", Err(Format));
    check_time("04/01/2022 00:30 AM", Err(Format));
    check_time("04/01/2022 12:60 PM", Err(Format));
    check_time("04/01/2022 12:5 PM", Err(Format));
    check_time("04/01/2022 12:30", Err(Format));
    check_time("04/01/2022 12:30 XM", Err(Format));
    check_time("04/01/202 12:30 PM", Err(Format));
    // A native post of a datetime-local input (no script to convert it): a company wall time.
    check_time("2022-04-01T12:30", Ok(APRIL_FIRST));
    check_time("2022-04-01T12:30:59", Ok(APRIL_FIRST));
    check_time("2022-04-01T24:00", Err(Format));
    check_time("2022-02-30T12:30", Err(Format));
    check_time("2022-4-01T12:30", Err(Format));
    check_time("2022-04-01 12:30", Err(Format));
    check_time("2022-04-01T12:30:60", Err(Format));
    check_time("04/01/2022 12:30 PM UTC", Err(Format));
    check_time("1648816200000", Err(Format));
    check_time("-1648816200", Err(Format));
    check_time("04/01/2022 12:30 ÅM", Err(Format));
    check_time("04/01/2022 12:30é", Err(Format));
}

#[test]
fn local_times_go_through_the_callers_resolver() {
    let minus_seven_hours =
        |local: LocalDateTime| closem_shared::local_as_utc(local).map(|utc| utc + 7 * 3600);
    let pacific = Context {
        now: NOW,
        resolve_local: &minus_seven_hours,
        phone: Default::default(),
    };
    let checked = check_value(Field::AppointmentTimestamp, "04/01/2022 12:30 PM", &pacific);
    assert_eq!(checked, Ok((APRIL_FIRST + 7 * 3600).to_string()));
    let gap = Context {
        now: NOW,
        resolve_local: &|_| None,
        phone: Default::default(),
    };
    assert_eq!(
        check_value(Field::AppointmentTimestamp, "04/01/2022 12:30 PM", &gap),
        Err(IssueKind::Format)
    );
}

#[test]
fn days_from_civil_matches_known_dates() {
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    assert_eq!(days_from_civil(1969, 12, 31), -1);
    assert_eq!(days_from_civil(2024, 2, 29), 19_782);
}

fn check(field: Field, input: &str, expected: Result<&str, IssueKind>) {
    assert_eq!(
        check_value(field, input, &ctx()),
        expected.map(str::to_owned),
        "{field:?} {input:?}"
    );
}

#[test]
fn check_value_per_field() {
    use IssueKind::*;
    check(Field::Phone, " ", Ok(""));
    check(Field::Phone, "777-888-9999", Ok("+17778889999"));
    check(Field::Email, "Jo@Example.com", Ok("Jo@example.com"));
    check(Field::Email, "[email protected]", Err(Format));
    check(Field::Upsert, "ON", Ok("true"));
    check(Field::Upsert, "no", Ok("false"));
    check(Field::Upsert, "maybe", Err(Format));
    check(Field::Mode, "AddContact", Ok("addcontact"));
    check(Field::Mode, "deletecontact", Err(Unknown));
    check(Field::Tags, "42, 57", Ok("42,57"));
    check(Field::SequenceId, "42,57", Err(Multiple));
    check(
        Field::ContactEmails,
        "a@b.co, A@B.CO ,c@d.co",
        Ok("a@b.co,A@b.co,c@d.co"),
    );
    check(
        Field::ContactEmails,
        "a@b.co,[email protected]",
        Err(Format),
    );
    check(
        Field::ContactPhones,
        "+15554443333,777-888-9999,17778889999",
        Ok("+15554443333,+17778889999"),
    );
    check(Field::FullName, "  John Doe ", Ok("John Doe"));
    check(Field::City, &"c".repeat(256), Ok(&"c".repeat(256)));
    check(Field::City, &"c".repeat(257), Err(TooLong));
    check(Field::Notes, &"é".repeat(2000), Ok(&"é".repeat(2000)));
    check(Field::Notes, &"é".repeat(2001), Err(TooLong));
}
