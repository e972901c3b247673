//! Fuzzing the value parsers and the profile pipeline through the public API (issue 6): phone,
//! email and timestamp parsers on arbitrary and look-alike text, `parse` and `Profile::accept` on
//! hostile pairs. Never a panic; what is accepted is plain ASCII where it must be, normalises to
//! itself, and control fields never change the outcome. `props.rs` covers the round trips of
//! well-formed submissions; this module aims at malformed input.
//!
//! `cargo test` runs a few hundred inputs per property; `cargo xtask fuzz` reruns them with
//! `PROPTEST_CASES` set high and adds up the `closem-fuzz:` lines they print.

use closem_shared::{
    check_value, days_from_civil, local_as_utc, parse, resolve_timestamp, Context, Email, Field,
    LocalDateTime, Mode, Phone, Submission, TimeInput, MAX_UNIX,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseResult;

use crate::{ctx, runner};

/// Characters that look like ASCII digits, separators or letters but are not.
const LOOKALIKES: &[char] = &[
    '０', '１', '５', '９', // fullwidth digits
    '٠', '٣', '۵', '५', '𝟓', '①', '¹', '₂', // other scripts, styled, circled, super/subscript
    '‐', '–', '−', '（', '）', '＋', '．', // hyphen, en dash, minus, fullwidth ( ) + .
    '\u{00a0}', '\u{2009}', '\u{200b}', '\u{200d}', '\u{feff}', // spaces and zero-widths
    'О', 'о', 'З', 'е', 'а', 'ⅼ', 'Ｏ', // Cyrillic O o Ze e a, Roman numeral l, fullwidth O
    '＠', '﹫', // fullwidth and small commercial at
];

/// Control characters, the ones forms must never smuggle into a CRM.
const CONTROLS: &[char] = &[
    '\0', '\u{1}', '\u{7}', '\u{8}', '\u{1b}', '\u{7f}', '\r', '\n',
];

/// `text` with some characters swapped for look-alikes or controls, or inserted.
fn disguise(
    text: impl Strategy<Value = String>,
    from: &'static [char],
) -> impl Strategy<Value = String> {
    (
        text,
        proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                proptest::sample::select(from),
                any::<bool>(),
            ),
            1..4,
        ),
    )
        .prop_map(|(text, changes)| {
            let mut characters: Vec<char> = text.chars().collect();
            for (at, replacement, insert) in changes {
                let at = at.index(characters.len() + 1);
                if insert || at == characters.len() {
                    characters.insert(at, replacement);
                } else {
                    characters[at] = replacement;
                }
            }
            characters.into_iter().collect()
        })
}

fn phone_like() -> impl Strategy<Value = String> {
    "(\\+?1[ -]?)?\\(?[0-9]{3}\\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}"
}

fn phone_input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9 ()+.-]{0,40}",
        phone_like(),
        disguise(phone_like(), LOOKALIKES),
        disguise(phone_like(), CONTROLS),
    ]
}

/// The input with surrounding whitespace removed, as every parser reads it.
fn core_of(input: &str) -> &str {
    input.trim()
}

#[test]
fn phones_from_any_text_are_ascii_e164_and_stable() {
    runner::fuzz("shared", "Phone::parse", 4096, phone_input(), |input| {
        let Ok(phone) = Phone::parse(&input) else {
            return Ok(());
        };
        let normal = phone.as_str();
        prop_assert!(core_of(&input).is_ascii(), "{input:?} accepted as {normal}");
        prop_assert_eq!(normal.len(), 12, "{}", normal);
        prop_assert!(normal.starts_with("+1"));
        prop_assert!(normal[2..].bytes().all(|byte| byte.is_ascii_digit()));
        // The number is the input's own last ten digits: nothing invented, nothing reordered.
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        prop_assert!(digits.ends_with(&normal[2..]), "{input:?} -> {normal}");
        prop_assert_eq!(Phone::parse(normal), Ok(phone.clone()));
        Ok(())
    });
}

#[test]
fn look_alike_or_control_characters_inside_a_phone_are_refused() {
    let inside = |from: &'static [char]| {
        disguise(phone_like(), from).prop_filter("inside, not at the ends", |text| {
            !text.trim().is_ascii() || text.trim().chars().any(|character| character.is_control())
        })
    };
    runner::fuzz(
        "shared",
        "Phone::parse(look-alikes)",
        2048,
        prop_oneof![inside(LOOKALIKES), inside(CONTROLS)],
        |input| {
            prop_assert!(Phone::parse(&input).is_err(), "{input:?} accepted");
            Ok(())
        },
    );
}

fn email_like() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._%+'-]{1,20}@[A-Za-z0-9-]{1,12}(\\.[A-Za-z0-9-]{1,12}){0,2}\\.[A-Za-z]{2,6}"
}

#[test]
fn emails_from_any_text_are_plain_ascii_and_stable() {
    runner::fuzz(
        "shared",
        "Email::parse",
        4096,
        prop_oneof![
            any::<String>(),
            email_like(),
            disguise(email_like(), LOOKALIKES),
            disguise(email_like(), CONTROLS),
        ],
        |input| {
            let Ok(email) = Email::parse(&input) else {
                return Ok(());
            };
            let normal = email.as_str();
            prop_assert!(core_of(&input).is_ascii(), "{input:?} accepted as {normal}");
            prop_assert!(
                normal.bytes().all(|byte| byte.is_ascii_graphic()),
                "{normal:?}"
            );
            prop_assert_eq!(normal.matches('@').count(), 1);
            prop_assert_eq!(Email::parse(normal), Ok(email.clone()));
            Ok(())
        },
    );
}

/// Near misses of every accepted timestamp shape: digits out of range, odd widths and spacing.
fn time_input() -> impl Strategy<Value = String> {
    let closem = "[0-9]{1,3}/[0-9]{1,3}/[0-9]{1,5} {0,3}[0-9]{1,3}:[0-9]{1,3} {0,2}([aApP][mM])?";
    let datetime_local = "[0-9]{3,5}-[0-9]{1,3}-[0-9]{1,3}[Tt ][0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3})?";
    prop_oneof![
        any::<String>(),
        "[0-9]{1,22}",
        "[ -~]{0,30}",
        closem,
        datetime_local,
        disguise(closem, LOOKALIKES),
        disguise(datetime_local, CONTROLS),
        real_time_text(),
    ]
}

/// A real wall-clock time in one of its accepted spellings, in any case and with extra spaces.
fn real_time_text() -> impl Strategy<Value = String> {
    (
        1000i32..=9999,
        1u8..=12,
        1u8..=31,
        0u8..24,
        0u8..60,
        0..3usize,
        " {0,3}",
        any::<bool>(),
    )
        .prop_map(
            |(year, month, day, hour, minute, spelling, padding, upper)| {
                let day = day.min(days_in_month(year, month));
                let local = LocalDateTime {
                    year,
                    month,
                    day,
                    hour,
                    minute,
                };
                let text = spellings(&local)[spelling].clone();
                let text = if upper {
                    text.to_uppercase()
                } else {
                    text.to_lowercase()
                };
                format!("{padding}{text}{padding}")
            },
        )
}

fn days_in_month(year: i32, month: u8) -> u8 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The three spellings of a wall-clock time the parser accepts.
fn spellings(local: &LocalDateTime) -> [String; 3] {
    let (hour12, meridiem) = match local.hour {
        0 => (12, "AM"),
        1..=11 => (local.hour, "AM"),
        12 => (12, "PM"),
        _ => (local.hour - 12, "PM"),
    };
    [
        format!(
            "{:02}/{:02}/{:04} {:02}:{:02} {meridiem}",
            local.month, local.day, local.year, hour12, local.minute
        ),
        format!(
            "{}/{}/{:04} {}:{:02}{}",
            local.month,
            local.day,
            local.year,
            hour12,
            local.minute,
            meridiem.to_lowercase()
        ),
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            local.year, local.month, local.day, local.hour, local.minute
        ),
    ]
}

#[test]
fn timestamps_from_any_text_are_real_times_and_stable() {
    runner::fuzz("shared", "TimeInput::parse", 4096, time_input(), |input| {
        match TimeInput::parse(&input) {
            Err(_) => {}
            Ok(TimeInput::Unix(seconds)) => {
                prop_assert!((0..=MAX_UNIX).contains(&seconds), "{input:?}");
                prop_assert_eq!(
                    TimeInput::parse(&seconds.to_string()),
                    Ok(TimeInput::Unix(seconds))
                );
            }
            Ok(TimeInput::Local(local)) => {
                prop_assert!(core_of(&input).is_ascii(), "{input:?}");
                prop_assert!((0..=9999).contains(&local.year), "{local:?}");
                prop_assert!((1..=12).contains(&local.month), "{local:?}");
                prop_assert!(
                    (1..=days_in_month(local.year, local.month)).contains(&local.day),
                    "{local:?}"
                );
                prop_assert!(local.hour < 24 && local.minute < 60, "{local:?}");
                // Two-digit years are 20YY, so only years 2000-2099 and four-digit ones round-trip
                // through every spelling; the four-digit spellings always do.
                for spelling in spellings(&local) {
                    prop_assert_eq!(
                        TimeInput::parse(&spelling),
                        Ok(TimeInput::Local(local)),
                        "{} from {:?}",
                        spelling,
                        input
                    );
                }
            }
        }
        Ok(())
    });
}

#[test]
fn resolving_never_panics_and_only_gives_future_times() {
    let resolvers: [&dyn Fn(LocalDateTime) -> Option<i64>; 5] = [
        &local_as_utc,
        &|_| None,
        &|_| Some(i64::MAX),
        &|_| Some(i64::MIN),
        &|local| local_as_utc(local).map(|seconds| seconds - 14 * 3600),
    ];
    runner::fuzz(
        "shared",
        "resolve_timestamp",
        2048,
        (
            time_input(),
            prop_oneof![any::<i64>(), 0i64..=MAX_UNIX],
            0..resolvers.len(),
        ),
        |(input, now, resolver)| {
            let context = Context {
                now,
                resolve_local: resolvers[resolver],
                phone: Default::default(),
            };
            if let Ok(seconds) = resolve_timestamp(&input, &context) {
                prop_assert!(seconds > now, "{input:?} -> {seconds} at {now}");
            }
            if let Ok(normal) = check_value(Field::AppointmentTimestamp, &input, &context) {
                prop_assert!(
                    normal.is_empty() || normal.parse::<i64>().is_ok_and(|seconds| seconds > now),
                    "{normal:?}"
                );
            }
            Ok(())
        },
    );
}

#[test]
fn civil_days_never_panic_and_count_one_by_one() {
    runner::fuzz(
        "shared",
        "days_from_civil",
        2048,
        (
            any::<i32>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            -400i64..10_400,
            1u32..=12,
        ),
        |(year, month, day, hour, minute, civil_year, civil_month)| {
            // Any field values, even impossible ones, are arithmetic, not a panic.
            let _ = local_as_utc(LocalDateTime {
                year,
                month,
                day,
                hour,
                minute,
            });
            let days = i32::from(days_in_month(civil_year as i32, civil_month as u8));
            let first = days_from_civil(civil_year, civil_month, 1);
            let last = days_from_civil(civil_year, civil_month, days as u32);
            prop_assert_eq!(last - first, i64::from(days - 1));
            let next = if civil_month == 12 {
                days_from_civil(civil_year + 1, 1, 1)
            } else {
                days_from_civil(civil_year, civil_month + 1, 1)
            };
            prop_assert_eq!(next, last + 1);
            prop_assert_eq!(days_from_civil(1970, 1, 1), 0);
            Ok(())
        },
    );
}

/// Field names as attackers and sloppy HTML write them: every alias in any case, padded, with
/// look-alike letters or controls, and anything at all.
fn hostile_name() -> impl Strategy<Value = String> {
    let aliases: Vec<String> = Field::ALL
        .iter()
        .flat_map(|field| field.aliases().iter().map(|alias| alias.to_string()))
        .collect();
    let alias = proptest::sample::select(aliases);
    prop_oneof![
        3 => (alias.clone(), any::<u64>()).prop_map(|(alias, mask)| recase(&alias, mask)),
        1 => alias.clone().prop_map(|alias| format!(" {alias}\t")),
        1 => disguise(alias.clone(), LOOKALIKES),
        1 => disguise(alias, CONTROLS),
        1 => proptest::sample::select(vec![
            "your-email".to_string(),
            "your-name".to_string(),
            "your-tel".to_string(),
            "your-message".to_string(),
            "company_website".to_string(),
            "_closem_started".to_string(),
        ]),
        1 => any::<String>(),
    ]
}

fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop_oneof![
            "[a-z]{1,8}@example\\.com",
            phone_like(),
            "[0-9, ]{1,12}",
            Just("4102444800".to_string()),
            Just("12/01/2030 09:00 AM".to_string()),
            Just("addcontact".to_string()),
            Just("runsequence".to_string()),
            Just("true".to_string()),
            "[A-Za-z ]{1,20}",
        ],
        1 => disguise("[a-z]{1,8}@example\\.com", LOOKALIKES),
        1 => disguise("[A-Za-z ]{1,20}", CONTROLS),
        1 => any::<String>(),
        1 => "x{250,260}",
    ]
}

fn hostile_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((hostile_name(), hostile_value()), 0..12)
}

fn recase(text: &str, mask: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(index, character)| {
            if mask >> (index % 64) & 1 == 1 {
                character.to_ascii_uppercase()
            } else {
                character
            }
        })
        .collect()
}

/// Whatever a rejected request says, every issue has a code and a message.
fn check_issues(issues: &[closem_shared::Issue]) -> TestCaseResult {
    prop_assert!(!issues.is_empty());
    for issue in issues {
        let code = issue.code();
        prop_assert!(code.contains('.') && !code.starts_with('.'), "{code}");
        prop_assert!(!issue.message().is_empty(), "{code}");
    }
    Ok(())
}

/// The normalised values CLOSEM would receive for its contact fields are plain ASCII.
fn check_contacts(submission: &Submission) -> TestCaseResult {
    for (name, value) in submission.encode() {
        let field = Field::from_name(name).expect("encode uses canonical names");
        if matches!(
            field,
            Field::Phone | Field::Email | Field::ContactEmails | Field::ContactPhones
        ) {
            prop_assert!(
                value.bytes().all(|byte| byte.is_ascii_graphic()),
                "{name}={value:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn parse_takes_hostile_pairs_without_panic() {
    runner::fuzz(
        "shared",
        "parse(hostile pairs)",
        2048,
        (
            proptest::sample::select(Mode::ALL.to_vec()),
            hostile_pairs(),
        ),
        |(mode, mut pairs)| {
            pairs.insert(0, ("mode".to_string(), mode.as_str().to_string()));
            match parse(&pairs, &ctx()) {
                Ok(submission) => {
                    check_contacts(&submission)?;
                    prop_assert_eq!(parse(&submission.encode(), &ctx()), Ok(submission));
                }
                Err(issues) => check_issues(&issues)?,
            }
            Ok(())
        },
    );
}

/// Found by this fuzzing: free-text fields (names, address parts, notes, the appointment note)
/// accept NUL and other control characters and forward them to CLOSEM as they are. Expected:
/// `{field}.format` for any C0 control or DEL, except tab, CR and LF in the two notes fields.
#[test]
fn control_characters_in_free_text_are_refused() {
    let text_fields: Vec<Field> = Field::ALL.into_iter().filter(|f| f.is_text()).collect();
    runner::fuzz(
        "shared",
        "text fields(controls)",
        512,
        (
            proptest::sample::select(text_fields),
            "[A-Za-z]{1,10}",
            proptest::sample::select(vec!['\0', '\u{1}', '\u{7}', '\u{8}', '\u{1b}', '\u{7f}']),
            "[A-Za-z]{1,10}",
        ),
        |(field, before, control, after)| {
            let value = format!("{before}{control}{after}");
            prop_assert_eq!(
                check_value(field, &value, &ctx()),
                Err(closem_shared::IssueKind::Format),
                "{:?} {:?}",
                field,
                value
            );
            Ok(())
        },
    );
}

#[cfg(feature = "config")]
mod profiles {
    use closem_shared::{Field, Forms, IssueKind, Submission};
    use proptest::prelude::*;

    use super::{check_contacts, check_issues, hostile_pairs};
    use crate::ctx;
    use crate::runner;

    /// The edge's test profiles (tests/fixtures/forms.json), one per kind of rule.
    const FORMS: &str = r#"{
        "contact": {
            "mode": "addcontact", "upsert": true, "tags": [42, 57], "contact_lists": "18,32",
            "sequence_id": 99, "spam": { "honeypot": "company_website" }
        },
        "plain": { "mode": "addcontact" },
        "cf7": {
            "mode": "addcontact",
            "fields": { "your-name": "fullname", "your-email": "email", "your-tel": "phone", "your-message": "notes" },
            "required": ["fullname"], "unmapped": "notes"
        },
        "strict": { "mode": "addcontact", "strict": true },
        "sequence": { "mode": "runsequence", "sequence_id": "55" },
        "appointment": { "mode": "scheduleappointment" },
        "seminar": { "mode": "scheduleappointment", "appointment_note": "Virtual Training Seminar" }
    }"#;

    const LENIENT: [&str; 6] = [
        "contact",
        "plain",
        "cf7",
        "sequence",
        "appointment",
        "seminar",
    ];

    fn forms() -> Forms {
        Forms::from_json_str(FORMS).unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    fn is_control_name(name: &str) -> bool {
        Field::from_name(name).is_some_and(Field::is_control) && !name.starts_with("_closem")
    }

    #[test]
    fn accept_never_panics_and_control_fields_change_nothing() {
        let forms = forms();
        runner::fuzz(
            "shared",
            "Profile::accept(lenient)",
            1024,
            (proptest::sample::select(LENIENT.to_vec()), hostile_pairs()),
            |(form, pairs)| {
                let profile = forms.get(form).expect("a configured form");
                let outcome = profile.accept(&pairs, &ctx());
                let without_control: Vec<&(String, String)> = pairs
                    .iter()
                    .filter(|(name, _)| !is_control_name(name))
                    .collect();
                let without_control: Vec<(&str, &str)> = without_control
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.as_str()))
                    .collect();
                let baseline = profile.accept(&without_control, &ctx());
                match (&outcome, &baseline) {
                    (Ok(accepted), Ok(expected)) => {
                        prop_assert_eq!(&accepted.submission, &expected.submission);
                        prop_assert_eq!(accepted.submission.mode(), profile.mode());
                        check_contacts(&accepted.submission)?;
                        if let Submission::RunSequence(run) = &accepted.submission {
                            prop_assert!(run.targets.contact_emails.len() <= 1);
                            prop_assert!(run.targets.contact_phones.len() <= 1);
                        }
                        if let Submission::ScheduleAppointment(meeting) = &accepted.submission {
                            prop_assert!(meeting.targets.contact_emails.len() <= 1);
                            prop_assert!(meeting.targets.contact_phones.len() <= 1);
                        }
                    }
                    (Err(issues), Err(expected)) => {
                        prop_assert_eq!(issues, expected);
                        check_issues(issues)?;
                    }
                    _ => prop_assert!(false, "control pairs changed {outcome:?} vs {baseline:?}"),
                }
                Ok(())
            },
        );
    }

    #[test]
    fn strict_profile_refuses_any_control_field() {
        let forms = forms();
        let profile = forms.get("strict").expect("the strict form");
        runner::fuzz(
            "shared",
            "Profile::accept(strict)",
            1024,
            hostile_pairs(),
            |pairs| {
                let outcome = profile.accept(&pairs, &ctx());
                let sent_control = pairs.iter().any(|(name, _)| is_control_name(name));
                match outcome {
                    Ok(accepted) => {
                        prop_assert!(!sent_control, "accepted with control fields: {pairs:?}");
                        check_contacts(&accepted.submission)?;
                    }
                    Err(issues) => {
                        check_issues(&issues)?;
                        let refused = issues.iter().any(|issue| issue.kind == IssueKind::Control);
                        prop_assert_eq!(refused, sent_control, "{:?}", issues);
                    }
                }
                Ok(())
            },
        );
    }
}
