//! Appointment times: UNIX seconds or CLOSEM's `MM/DD/YY HH:MM AM` wall-clock strings.

use crate::context::Context;
use crate::issue::IssueKind;
use crate::split;

/// 9999-12-31 23:59:59 UTC; anything larger is more likely milliseconds than a real date.
pub const MAX_UNIX: i64 = 253_402_300_799;

/// A wall-clock time with no timezone; the caller's resolver knows the company's timezone.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LocalDateTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    /// 0-23.
    pub hour: u8,
    pub minute: u8,
}

/// An appointment time as written, before any timezone is applied.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimeInput {
    Unix(i64),
    Local(LocalDateTime),
}

impl TimeInput {
    /// UNIX seconds (ASCII digits), or `MM/DD/YY HH:MM AM` / `MM/DD/YYYY HH:MM PM` with any
    /// case of AM/PM and any run of spaces; two-digit years are 20YY. Also `YYYY-MM-DDTHH:MM[:SS]`,
    /// the value a `datetime-local` input posts when no script converts it (a native post), read
    /// like the CLOSEM strings as a wall-clock time in the company's timezone.
    pub fn parse(value: &str) -> Result<TimeInput, IssueKind> {
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
}

/// Parses and resolves an appointment time to UNIX seconds, which must be after `ctx.now`.
pub fn resolve_timestamp(value: &str, ctx: &Context) -> Result<i64, IssueKind> {
    let seconds = match TimeInput::parse(value)? {
        TimeInput::Unix(seconds) => seconds,
        // A resolver answers `None` for wall-clock times its timezone skips (DST gaps).
        TimeInput::Local(local) => (ctx.resolve_local)(local).ok_or(IssueKind::Format)?,
    };
    if seconds <= ctx.now {
        return Err(IssueKind::Past);
    }
    Ok(seconds)
}

fn parse_local(value: &str) -> Option<LocalDateTime> {
    let mut tokens = value.split_ascii_whitespace();
    let date = tokens.next()?;
    let mut time = tokens.next()?;
    let meridiem = match tokens.next() {
        Some(meridiem) => meridiem,
        // `12:30PM` without the space: split the last two bytes off if they are ASCII.
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

    let mut parts = split::split(date, '/');
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
    let (hour, minute) = split::split_once(time, ':')?;
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
    Some(LocalDateTime {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
    })
}

/// `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (seconds dropped), as HTML's datetime-local sends.
fn parse_datetime_local(value: &str) -> Option<LocalDateTime> {
    let (date, time) = value.split_once(['T', 't'])?;
    let mut date_parts = split::split(date, '-');
    let year = number(date_parts.next()?, 4, 4)?;
    let month = number(date_parts.next()?, 2, 2)?;
    let day = number(date_parts.next()?, 2, 2)?;
    let mut time_parts = split::split(time, ':');
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
    Some(LocalDateTime {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
    })
}

fn number(text: &str, min_len: usize, max_len: usize) -> Option<u32> {
    let valid =
        (min_len..=max_len).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    text.parse().ok()
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Reads a wall-clock time as UTC: the fallback when no company timezone is known.
pub fn local_as_utc(local: LocalDateTime) -> Option<i64> {
    let days = days_from_civil(
        i64::from(local.year),
        u32::from(local.month),
        u32::from(local.day),
    );
    Some(days * 86_400 + i64::from(local.hour) * 3_600 + i64::from(local.minute) * 60)
}
