//! The byte-wise parsers of issue 12 answer exactly as the `str`-slicing code they replaced,
//! which is kept here as the oracle: the widget lost its panic and formatting residue, not a rule.

use closem_shared::{
    check_value, Email, Field, Id, IdList, IssueKind, LocalDateTime, TimeInput, MAX_UNIX,
};
use proptest::prelude::*;

use crate::ctx;

/// `Email::parse` before issue 12, verbatim.
fn email_before(value: &str) -> Result<String, IssueKind> {
    const MAX_LEN: usize = 254;
    const MAX_LOCAL: usize = 64;
    const MAX_LABEL: usize = 63;
    fn valid_local(local: &str) -> bool {
        let allowed =
            |byte: u8| byte.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&byte);
        !local.is_empty()
            && local.len() <= MAX_LOCAL
            && local.bytes().all(allowed)
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
    }
    fn valid_domain(domain: &str) -> bool {
        let mut labels = 0;
        for label in domain.split('.') {
            let allowed = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-';
            if label.is_empty()
                || label.len() > MAX_LABEL
                || label.starts_with('-')
                || label.ends_with('-')
                || !label.bytes().all(allowed)
            {
                return false;
            }
            labels += 1;
        }
        let top = domain.rsplit('.').next().unwrap_or("");
        labels >= 2 && !top.bytes().all(|byte| byte.is_ascii_digit())
    }
    let value = value.trim();
    if value.is_empty() || value.len() > MAX_LEN || !value.is_ascii() {
        return Err(IssueKind::Format);
    }
    let (local, domain) = value.split_once('@').ok_or(IssueKind::Format)?;
    if !valid_local(local) || !valid_domain(domain) {
        return Err(IssueKind::Format);
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

fn email_now(value: &str) -> Result<String, IssueKind> {
    Email::parse(value).map(|email| email.as_str().to_owned())
}

/// Text near the rules' edges: every character class the parser tells apart, runs of dots,
/// hyphens and at signs, and Unicode spaces and look-alikes.
fn email_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9]{0,3}([.@-]{1,2}[a-zA-Z0-9_]{0,3}){0,5}",
        "[ \t\u{a0}\u{2009}]{0,2}[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{0,24}[ \u{a0}\u{feff}]{0,2}",
        "[A-Za-z0-9._%+'-]{1,20}@[A-Za-z0-9-]{1,12}(\\.[A-Za-z0-9-]{1,12}){0,2}\\.[A-Za-z0-9]{1,6}",
        "[a-z0-9éＯ＠\u{0}\u{7f}\"(),:;<>\\[\\]\\\\]{0,3}@[a-zA-Z0-9.-]{0,12}",
    ]
}

/// `TimeInput::parse` before issue 12, verbatim but for its module's helpers inlined (and one
/// `local` for the two places that built a `LocalDateTime` alike).
// Long: the old parser kept whole, so the comparison is with exactly what shipped before.
fn time_before(value: &str) -> Result<TimeInput, IssueKind> {
    fn parse_local(value: &str) -> Option<LocalDateTime> {
        let mut tokens = value.split_ascii_whitespace();
        let date = tokens.next()?;
        let mut time = tokens.next()?;
        let meridiem = match tokens.next() {
            Some(meridiem) => meridiem,
            None => {
                let split = time.len().checked_sub(2)?;
                let (clock, meridiem) = (time.get(..split)?, time.get(split..)?);
                time = clock;
                meridiem
            }
        };
        if tokens.next().is_some() {
            return None;
        }
        let pm = if meridiem.eq_ignore_ascii_case("pm") {
            true
        } else if meridiem.eq_ignore_ascii_case("am") {
            false
        } else {
            return None;
        };
        let mut parts = date.split('/');
        let month = number(parts.next()?, 1, 2)?;
        let day = number(parts.next()?, 1, 2)?;
        let year_text = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let year = match year_text.len() {
            2 => 2000 + number(year_text, 2, 2)?,
            4 => number(year_text, 4, 4)?,
            _ => return None,
        };
        let (hour, minute) = time.split_once(':')?;
        let hour = number(hour, 1, 2)?;
        let minute = number(minute, 2, 2)?;
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || !(1..=12).contains(&hour)
            || minute > 59
        {
            return None;
        }
        let hour = hour % 12 + if pm { 12 } else { 0 };
        Some(local(year, month, day, hour, minute))
    }
    fn parse_datetime_local(value: &str) -> Option<LocalDateTime> {
        let (date, time) = value.split_once(['T', 't'])?;
        let mut date_parts = date.split('-');
        let year = number(date_parts.next()?, 4, 4)?;
        let month = number(date_parts.next()?, 2, 2)?;
        let day = number(date_parts.next()?, 2, 2)?;
        let mut time_parts = time.split(':');
        let hour = number(time_parts.next()?, 2, 2)?;
        let minute = number(time_parts.next()?, 2, 2)?;
        let second_ok = match time_parts.next() {
            None => true,
            Some(second) => number(second, 2, 2).is_some_and(|second| second <= 59),
        };
        if date_parts.next().is_some()
            || time_parts.next().is_some()
            || !second_ok
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
        {
            return None;
        }
        Some(local(year, month, day, hour, minute))
    }
    fn local(year: u32, month: u32, day: u32, hour: u32, minute: u32) -> LocalDateTime {
        LocalDateTime {
            year: year as i32,
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
        }
    }
    fn number(text: &str, min_len: usize, max_len: usize) -> Option<u32> {
        let valid =
            (min_len..=max_len).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return None;
        }
        text.parse().ok()
    }
    fn days_in_month(year: u32, month: u32) -> u32 {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        return match value.parse::<i64>() {
            Ok(seconds) if seconds <= MAX_UNIX => Ok(TimeInput::Unix(seconds)),
            _ => Err(IssueKind::Format),
        };
    }
    parse_local(value)
        .or_else(|| parse_datetime_local(value))
        .map(TimeInput::Local)
        .ok_or(IssueKind::Format)
}

/// Times and their near misses: every width of every number, every separator the two shapes
/// use in the other's place, ASCII and other whitespace between and around, AM/PM in any case.
fn time_text() -> impl Strategy<Value = String> {
    let space = "[ \t\n\r\x0b\x0c\u{a0}]{0,3}";
    let closem = format!(
        "{space}[0-9]{{0,5}}[/-]?[0-9]{{0,3}}[/-]?[0-9]{{0,5}}{space}[0-9]{{0,3}}:?[0-9]{{0,3}}{space}[aApPmMT]{{0,3}}{space}"
    );
    let datetime_local =
        "[0-9]{3,5}-[0-9]{1,3}-[0-9]{1,3}[Tt /:][0-9]{1,3}:[0-9]{1,3}(:[0-9]{0,3})?:?[ tT]?";
    let spelled = prop_oneof![
        "(0?[0-9]|1[0-3])/[0-3]?[0-9]/(19|20)?[0-9]{2} {1,2}(0?[0-9]|1[0-3]):[0-6][0-9] ?[aApP][mM]",
        "[0-9]{4}-(0[0-9]|1[0-3])-[0-3][0-9][Tt]([01][0-9]|2[0-5]):[0-6][0-9](:[0-6][0-9])?",
    ];
    let edits = proptest::collection::vec(
        (
            any::<prop::sample::Index>(),
            proptest::sample::select(
                "0123456789/-:Tt aApPmM\t\u{b}\u{a0}"
                    .chars()
                    .collect::<Vec<_>>(),
            ),
            0..3u8,
        ),
        1..3,
    );
    // A well-formed time with a character or two inserted, replaced or removed.
    let near_miss = (spelled, edits).prop_map(|(text, edits)| {
        let mut characters: Vec<char> = text.chars().collect();
        for (at, character, edit) in edits {
            let at = at.index(characters.len() + 1);
            match edit {
                0 => characters.insert(at, character),
                1 if at < characters.len() => characters[at] = character,
                _ if at < characters.len() => {
                    characters.remove(at);
                }
                _ => {}
            }
        }
        characters.into_iter().collect::<String>()
    });
    prop_oneof![
        1 => any::<String>(),
        4 => near_miss,
        1 => "[0-9]{1,22}",
        1 => "[ -~]{0,30}",
        1 => proptest::string::string_regex(&closem).unwrap(),
        1 => datetime_local,
        1 => "(0?[0-9]|1[0-3])/[0-3]?[0-9]/(19|20)?[0-9]{2} {1,2}(0?[0-9]|1[0-3]):[0-6][0-9] ?[aApP][mM]",
        1 => "[0-9]{4}-(0[0-9]|1[0-3])-[0-3][0-9][Tt]([01][0-9]|2[0-5]):[0-6][0-9](:[0-6][0-9])?",
    ]
}

proptest! {
    // Each case is cheap; enough of them that near misses hit every branch.
    #![proptest_config(ProptestConfig {
        cases: 4096,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn time_parse_answers_as_before(input in time_text()) {
        prop_assert_eq!(TimeInput::parse(&input), time_before(&input), "{:?}", input);
    }

    #[test]
    fn email_parse_answers_as_before(input in email_text()) {
        prop_assert_eq!(email_now(&input), email_before(&input), "{:?}", input);
    }

    #[test]
    fn ids_are_read_as_before(input in prop_oneof![
        "[0-9]{1,22}",
        " ?[+-]?[0-9]{0,21}[ ,a٣]?[0-9]{0,3} ?",
        "1844674407370955161[0-9]",
        any::<String>(),
    ]) {
        let value = input.trim();
        let before = if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
            value.parse::<u64>().map(Id::from).map_err(|_| IssueKind::Format)
        } else {
            Err(IssueKind::Format)
        };
        prop_assert_eq!(Id::parse(&input), before, "{:?}", input);
    }

    #[test]
    fn ids_are_written_as_before(ids in proptest::collection::vec(any::<u64>(), 0..6)) {
        let list = IdList::from_ids(ids.iter().copied().map(Id::from)).unwrap();
        let mut seen = Vec::new();
        for id in &ids {
            if !seen.contains(id) {
                seen.push(*id);
            }
        }
        let before: Vec<String> = seen.iter().map(u64::to_string).collect();
        prop_assert_eq!(list.encode(), before.join(","));
        if let Some(&first) = ids.first() {
            prop_assert_eq!(
                check_value(Field::SequenceId, &format!(" 0{first} "), &ctx()),
                Ok(first.to_string())
            );
        }
    }
}

/// The lengths where the rules turn: local part 64, label 63, address 254.
#[test]
fn email_length_limits_answer_as_before() {
    let label = |length: usize| "b".repeat(length);
    let mut inputs = Vec::new();
    for local in [63, 64, 65] {
        inputs.push(format!("{}@example.com", "a".repeat(local)));
    }
    for length in [62, 63, 64] {
        inputs.push(format!("a@{}.com", label(length)));
    }
    // 4 labels of 63 and separators: total lengths around 254.
    for extra in [0, 1, 2, 3] {
        let domain = format!("{0}.{0}.{0}.{1}", label(60), label(60 + extra));
        inputs.push(format!("{}@{domain}", "a".repeat(8)));
    }
    inputs.extend(
        [
            "",
            " ",
            "@",
            "a@",
            "@b.c",
            "a@b",
            "a@b.",
            "a@.b.c",
            "a.@b.co",
            "a@b..co",
            "a@b.c0",
            "a@1.23",
            "a@b.co@",
            "A@B.CO",
            " a@b.co\u{a0}",
            "a@-b.co",
            "a@b-.co",
            "a@b.co-",
        ]
        .map(String::from),
    );
    for input in inputs {
        assert_eq!(email_now(&input), email_before(&input), "{input:?}");
    }
}
