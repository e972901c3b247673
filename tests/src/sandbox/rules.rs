//! The documented CLOSEM API rules (reference rev 1.22), read straight from the reference.
//!
//! Deliberately independent of `closem-shared`: the sandbox is a cross-check of that crate, so a
//! misreading of the docs there must not be copied here. Pure functions over the received fields.

use super::calendar;

/// The three documented values of `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// Add (or with `upsert=true` modify) a contact.
    AddContact,
    /// Start a sequence on contacts named by email, phone, contact list or tag.
    RunSequence,
    /// Schedule an appointment for contacts named the same way.
    ScheduleAppointment,
}

impl Mode {
    pub(super) fn parse(value: &str) -> Option<Mode> {
        match value {
            "addcontact" => Some(Mode::AddContact),
            "runsequence" => Some(Mode::RunSequence),
            "scheduleappointment" => Some(Mode::ScheduleAppointment),
            _ => None,
        }
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Mode::AddContact => "addcontact",
            Mode::RunSequence => "runsequence",
            Mode::ScheduleAppointment => "scheduleappointment",
        }
    }
}

// Field names and aliases, in the order the reference lists them.
const MODE: &[&str] = &["mode"];
const UPSERT: &[&str] = &["upsert"];
const PHONE: &[&str] = &["phone", "phonenumber", "number", "phone_number"];
const EMAIL: &[&str] = &["email", "mail", "emailaddress", "email_address"];
const FULL_NAME: &[&str] = &["fullname", "name", "full_name"];
const FIRST_NAME: &[&str] = &["firstname", "first", "first_name"];
const LAST_NAME: &[&str] = &["lastname", "last", "last_name"];
const NOTES: &[&str] = &["notes", "note"];
const ADDRESS: &[&str] = &["address", "street"];
const CITY: &[&str] = &["city"];
const STATE: &[&str] = &["state"];
const ZIP: &[&str] = &["zip", "zip_code", "zipcode"];
const TAGS: &[&str] = &["tags", "tag"];
const CONTACT_LISTS: &[&str] = &[
    "contactlists",
    "contactlist",
    "contact_lists",
    "contact_list",
];
const SEQUENCE_ID: &[&str] = &["sequence_id"];
const CONTACT_EMAILS: &[&str] = &["contact_emails"];
const CONTACT_PHONES: &[&str] = &["contact_phones"];
const APPOINTMENT_NOTE: &[&str] = &["appointment_note"];
const APPOINTMENT_TIMESTAMP: &[&str] = &["appointment_timestamp"];

const ADD_CONTACT_FIELDS: &[&[&str]] = &[
    MODE,
    UPSERT,
    PHONE,
    EMAIL,
    FULL_NAME,
    FIRST_NAME,
    LAST_NAME,
    NOTES,
    ADDRESS,
    CITY,
    STATE,
    ZIP,
    TAGS,
    CONTACT_LISTS,
    SEQUENCE_ID,
];
const RUN_SEQUENCE_FIELDS: &[&[&str]] = &[
    MODE,
    SEQUENCE_ID,
    CONTACT_EMAILS,
    CONTACT_PHONES,
    CONTACT_LISTS,
    TAGS,
];
const SCHEDULE_APPOINTMENT_FIELDS: &[&[&str]] = &[
    MODE,
    APPOINTMENT_NOTE,
    APPOINTMENT_TIMESTAMP,
    CONTACT_EMAILS,
    CONTACT_PHONES,
    CONTACT_LISTS,
    TAGS,
];

/// The reference's phone formats, `#` standing for one digit. `###-###-####` and `##########` are
/// not in its list but appear in its own examples (`777-888-9999`, `phone=9999999998`).
const PHONE_FORMATS: &[&str] = &[
    "+1 (###) ###-####",
    "+1##########",
    "1##########",
    "1-###-###-####",
    "###-###-####",
    "##########",
];

const PHONE_HINT: &str = "must look like +1 (555) 444-3333";
const TARGETS: &str = "contact_emails, contact_phones, contact_lists or tags";

/// Checks one API request's fields, given the current time in UNIX seconds. Returns the mode, or
/// every problem found (never only the first).
pub(super) fn check(fields: &[(String, String)], now_unix: i64) -> Result<Mode, Vec<String>> {
    let mut errors = Vec::new();
    let Some(mode_value) = single(fields, MODE, &mut errors) else {
        errors.push(
            "mode is required: use addcontact, runsequence or scheduleappointment".to_string(),
        );
        return Err(errors);
    };
    let Some(mode) = Mode::parse(mode_value) else {
        errors.push(format!(
            "mode must be addcontact, runsequence or scheduleappointment, not \"{}\"",
            shorten(mode_value)
        ));
        return Err(errors);
    };
    match mode {
        Mode::AddContact => check_add_contact(fields, &mut errors),
        Mode::RunSequence => check_run_sequence(fields, &mut errors),
        Mode::ScheduleAppointment => check_schedule_appointment(fields, now_unix, &mut errors),
    }
    if errors.is_empty() {
        Ok(mode)
    } else {
        Err(errors)
    }
}

/// Names among `fields` that the given mode does not document (CLOSEM ignores them; the sandbox
/// reports them so a test can see that nothing stray is forwarded).
pub(super) fn unknown_fields(mode: Mode, fields: &[(String, String)]) -> Vec<String> {
    let known = match mode {
        Mode::AddContact => ADD_CONTACT_FIELDS,
        Mode::RunSequence => RUN_SEQUENCE_FIELDS,
        Mode::ScheduleAppointment => SCHEDULE_APPOINTMENT_FIELDS,
    };
    let mut unknown: Vec<String> = Vec::new();
    for (name, _) in fields {
        let documented = known.iter().any(|aliases| aliases.contains(&name.as_str()));
        if !documented && !unknown.contains(name) {
            unknown.push(name.clone());
        }
    }
    unknown
}

fn check_add_contact(fields: &[(String, String)], errors: &mut Vec<String>) {
    let phone = single_named(fields, PHONE, errors);
    let email = single_named(fields, EMAIL, errors);
    if phone.is_none() && email.is_none() {
        errors.push("phone or email is required: send phone, email or both".to_string());
    }
    if let Some((name, value)) = phone {
        if !is_phone(value) {
            errors.push(format!("{name} {PHONE_HINT}"));
        }
    }
    if let Some((name, value)) = email {
        if !is_email(value) {
            errors.push(format!("{name} must look like name@example.com"));
        }
    }
    for aliases in [
        FULL_NAME, FIRST_NAME, LAST_NAME, NOTES, ADDRESS, CITY, STATE, ZIP,
    ] {
        single(fields, aliases, errors);
    }
    if let Some(value) = single(fields, UPSERT, errors) {
        if !["true", "false", "1", "0"].contains(&value.to_ascii_lowercase().as_str()) {
            errors.push("upsert must be true or false".to_string());
        }
    }
    check_id_list(fields, TAGS, "42,57", errors);
    check_id_list(fields, CONTACT_LISTS, "18,32", errors);
    check_sequence_id(fields, errors);
}

fn check_run_sequence(fields: &[(String, String)], errors: &mut Vec<String>) {
    if !check_sequence_id(fields, errors) {
        errors.push("sequence_id is required for runsequence".to_string());
    }
    if !check_targets(fields, errors) {
        errors.push(format!("runsequence needs at least one of {TARGETS}"));
    }
}

fn check_schedule_appointment(
    fields: &[(String, String)],
    now_unix: i64,
    errors: &mut Vec<String>,
) {
    if single(fields, APPOINTMENT_NOTE, errors).is_none() {
        errors.push("appointment_note is required for scheduleappointment".to_string());
    }
    match single(fields, APPOINTMENT_TIMESTAMP, errors) {
        None => {
            errors.push("appointment_timestamp is required for scheduleappointment".to_string())
        }
        Some(value) => match parse_timestamp(value) {
            None => errors.push(
                "appointment_timestamp must be UNIX seconds or a date like 04/01/2030 12:30 PM"
                    .to_string(),
            ),
            Some(timestamp) if timestamp <= now_unix => {
                errors.push("appointment_timestamp must be in the future".to_string())
            }
            Some(_) => {}
        },
    }
    if !check_targets(fields, errors) {
        errors.push(format!(
            "scheduleappointment needs at least one of {TARGETS}"
        ));
    }
}

/// Checks the contact targets shared by runsequence and scheduleappointment; true when at least
/// one was sent.
fn check_targets(fields: &[(String, String)], errors: &mut Vec<String>) -> bool {
    let mut any = check_list(
        fields,
        CONTACT_EMAILS,
        is_email,
        "must look like name@example.com",
        errors,
    );
    any |= check_list(fields, CONTACT_PHONES, is_phone, PHONE_HINT, errors);
    any |= check_id_list(fields, CONTACT_LISTS, "18,32", errors);
    any |= check_id_list(fields, TAGS, "42,57", errors);
    any
}

/// Checks each comma-separated entry of the list sent under `names` (the first is its name in
/// the errors) with `valid`, `hint` saying what a valid one looks like; true when it was sent.
fn check_list(
    fields: &[(String, String)],
    names: &[&str],
    valid: fn(&str) -> bool,
    hint: &str,
    errors: &mut Vec<String>,
) -> bool {
    let Some(value) = single(fields, names, errors) else {
        return false;
    };
    for (position, item) in value.split(',').map(str::trim).enumerate() {
        if !valid(item) {
            errors.push(format!("{} entry {} {hint}", names[0], position + 1));
        }
    }
    true
}

/// True when a sequence id was sent (valid or not).
fn check_sequence_id(fields: &[(String, String)], errors: &mut Vec<String>) -> bool {
    let Some(value) = single(fields, SEQUENCE_ID, errors) else {
        return false;
    };
    if !is_id(value) {
        errors.push("sequence_id must be one numeric id, like 99".to_string());
    }
    true
}

/// True when the list was sent (valid or not).
fn check_id_list(
    fields: &[(String, String)],
    aliases: &[&str],
    example: &str,
    errors: &mut Vec<String>,
) -> bool {
    let Some((name, value)) = single_named(fields, aliases, errors) else {
        return false;
    };
    if !value.split(',').map(str::trim).all(is_id) {
        errors.push(format!(
            "{name} must be numeric ids separated by commas, like {example}"
        ));
    }
    true
}

/// The one non-empty value sent under any of `aliases`, trimmed. Blank values count as absent, as
/// an HTML form sends its empty inputs. Different values under the field's names are an error.
fn single<'a>(
    fields: &'a [(String, String)],
    aliases: &[&str],
    errors: &mut Vec<String>,
) -> Option<&'a str> {
    single_named(fields, aliases, errors).map(|(_, value)| value)
}

fn single_named<'a>(
    fields: &'a [(String, String)],
    aliases: &[&str],
    errors: &mut Vec<String>,
) -> Option<(&'a str, &'a str)> {
    let mut sent = fields
        .iter()
        .filter(|(name, _)| aliases.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str(), value.trim()))
        .filter(|(_, value)| !value.is_empty());
    let first = sent.next()?;
    if sent.any(|(_, value)| value != first.1) {
        errors.push(format!(
            "{} was sent more than once with different values: send it once",
            aliases[0]
        ));
    }
    Some(first)
}

/// Who an accepted `addcontact` is about, as the contact book knows people: the email (lower
/// case) and the phone's digits, each when given; and whether it asked to modify an existing
/// contact (`upsert=true`).
pub(crate) fn contact_identity(fields: &[(String, String)]) -> (Vec<String>, bool) {
    let mut errors = Vec::new();
    let mut identity = Vec::new();
    if let Some(email) = single(fields, EMAIL, &mut errors) {
        identity.push(format!("email:{}", email.trim().to_ascii_lowercase()));
    }
    if let Some(phone) = single(fields, PHONE, &mut errors) {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let digits = digits
            .strip_prefix('1')
            .filter(|d| d.len() == 10)
            .unwrap_or(&digits);
        identity.push(format!("phone:{digits}"));
    }
    let upsert = single(fields, UPSERT, &mut errors).is_some_and(|value| value == "true");
    (identity, upsert)
}

pub(super) fn is_phone(value: &str) -> bool {
    is_documented_phone(value) || is_international_e164(value)
}

/// Outside +1 the reference documents nothing; CLOSEM accounts that take international numbers
/// store them in E.164 (`+` and 8 to 15 digits, no country code starting with 0 or 1), which is
/// what the edge's international phone rule forwards (issue 13). +1 numbers stay the documented
/// formats only.
fn is_international_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && !digits.starts_with(['0', '1'])
}

fn is_documented_phone(value: &str) -> bool {
    PHONE_FORMATS.iter().any(|format| {
        format.len() == value.len()
            && format
                .bytes()
                .zip(value.bytes())
                .all(|(expected, actual)| match expected {
                    b'#' => actual.is_ascii_digit(),
                    literal => literal == actual,
                })
    })
}

/// One `@`, something before it, and a dotted domain with no empty label.
pub(super) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(char::is_whitespace)
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

fn is_id(value: &str) -> bool {
    !value.is_empty() && value.len() <= 18 && value.bytes().all(|byte| byte.is_ascii_digit())
}

/// UNIX seconds, or `MM/DD/YY HH:MM AM` / `MM/DD/YYYY HH:MM PM` (AM/PM in either case).
///
/// CLOSEM reads the strings in the company's CLOSEM timezone; the sandbox has no company, so it
/// reads them as UTC. Tests that need a past or future string stay days away from "now".
pub(super) fn parse_timestamp(value: &str) -> Option<i64> {
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        return value.parse().ok();
    }
    let mut parts = value.split(' ');
    let (date, time, meridiem) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut date_parts = date.split('/');
    let month = two_digits(date_parts.next()?)?;
    let day = two_digits(date_parts.next()?)?;
    let year_text = date_parts.next()?;
    if date_parts.next().is_some() {
        return None;
    }
    let year: i64 = match year_text.len() {
        2 => 2000 + i64::from(two_digits(year_text)?),
        4 if year_text.bytes().all(|byte| byte.is_ascii_digit()) => year_text.parse().ok()?,
        _ => return None,
    };
    let (hour_text, minute_text) = time.split_once(':')?;
    let hour = two_digits(hour_text)?;
    let minute = two_digits(minute_text)?;
    let afternoon = match meridiem.to_ascii_lowercase().as_str() {
        "am" => false,
        "pm" => true,
        _ => return None,
    };
    let valid = (1..=12).contains(&month)
        && (1..=calendar::days_in_month(year, month)).contains(&day)
        && (1..=12).contains(&hour)
        && minute <= 59;
    if !valid {
        return None;
    }
    let hour = hour % 12 + if afternoon { 12 } else { 0 };
    let days = calendar::days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60)
}

fn two_digits(text: &str) -> Option<u32> {
    if text.len() == 2 && text.bytes().all(|byte| byte.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// Echoed values are cut short so a huge field cannot blow up an error list.
fn shorten(value: &str) -> String {
    value.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000; // 2023-11-14T22:13:20Z

    fn check_fields(pairs: &[(&str, &str)]) -> Result<Mode, Vec<String>> {
        let fields: Vec<(String, String)> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        check(&fields, NOW)
    }

    fn check_phone(value: &str, expected: bool) {
        assert_eq!(is_phone(value), expected, "{value:?}");
    }

    fn check_timestamp(value: &str, expected: Option<i64>) {
        assert_eq!(parse_timestamp(value), expected, "{value:?}");
    }

    #[test]
    fn international_numbers_are_e164_outside_plus_one() {
        check_phone("+442079460958", true);
        check_phone("+5511912345678", true);
        check_phone("+44 20 7946 0958", false);
        check_phone("+4420", false);
        check_phone("+1555444333", false);
        check_phone("+0123456789", false);
    }

    #[test]
    fn phone_formats_are_the_documented_ones() {
        check_phone("+1 (555) 444-3333", true);
        check_phone("+15554443333", true);
        check_phone("15554443333", true);
        check_phone("1-555-444-3333", true);
        check_phone("777-888-9999", true);
        check_phone("9999999998", true);
        check_phone("555-4443", false);
        check_phone("+1 555 444 3333", false);
        check_phone("(555) 444-3333", false);
        check_phone("+44 20 7946 0958", false);
        check_phone("555444333a", false);
        check_phone("", false);
    }

    #[test]
    fn timestamps_are_unix_seconds_or_the_two_date_formats() {
        check_timestamp("1648816200", Some(1_648_816_200));
        check_timestamp("04/01/2022 12:30 PM", Some(1_648_816_200));
        check_timestamp("04/01/22 12:30 pm", Some(1_648_816_200));
        check_timestamp("04/01/2022 12:30 AM", Some(1_648_773_000));
        check_timestamp("02/29/2024 01:05 am", Some(1_709_168_700));
        check_timestamp("02/29/2023 01:05 AM", None);
        check_timestamp("4/1/2022 12:30 PM", None);
        check_timestamp("04/01/2022 13:30 PM", None);
        check_timestamp("04/01/2022 00:30 AM", None);
        check_timestamp("04/01/2022 12:30", None);
        check_timestamp("2022-04-01T12:30:00Z", None);
        check_timestamp("04/01/2022  12:30 PM", None);
        check_timestamp("-5", None);
        check_timestamp("99999999999999999999999", None);
        check_timestamp("", None);
    }

    #[test]
    fn emails_need_one_at_and_a_dotted_domain() {
        assert!(is_email("jane@example.com"));
        assert!(is_email("jane.doe+tag@mail.example.co.uk"));
        assert!(!is_email("jane@localhost"));
        assert!(!is_email("jane@@example.com"));
        assert!(!is_email("@example.com"));
        assert!(!is_email("jane@example."));
        assert!(!is_email("jane doe@example.com"));
    }

    #[test]
    fn every_problem_is_listed_not_only_the_first() {
        let errors = check_fields(&[
            ("mode", "scheduleappointment"),
            ("appointment_timestamp", "yesterday"),
            ("tags", "42,x"),
        ])
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "appointment_note is required for scheduleappointment",
                "appointment_timestamp must be UNIX seconds or a date like 04/01/2030 12:30 PM",
                "tags must be numeric ids separated by commas, like 42,57",
            ]
        );
    }

    #[test]
    fn blank_fields_count_as_absent_and_aliases_must_agree() {
        assert_eq!(
            check_fields(&[("mode", "addcontact"), ("phone", " "), ("mail", "a@b.co")]),
            Ok(Mode::AddContact)
        );
        assert_eq!(
            check_fields(&[
                ("mode", "addcontact"),
                ("email", "a@b.co"),
                ("mail", "c@d.co")
            ]),
            Err(vec![
                "email was sent more than once with different values: send it once".to_string()
            ])
        );
    }

    #[test]
    fn unknown_fields_depend_on_the_mode() {
        let fields = vec![
            ("mode".to_string(), "runsequence".to_string()),
            ("email".to_string(), "a@b.co".to_string()),
            ("tag".to_string(), "1".to_string()),
        ];
        assert_eq!(unknown_fields(Mode::RunSequence, &fields), ["email"]);
        assert!(unknown_fields(Mode::AddContact, &fields).is_empty());
    }
}
