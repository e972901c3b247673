//! Appointment times: UNIX seconds or CLOSEM's `MM/DD/YY HH:MM AM` wall-clock strings.

use crate::context::Context;
use crate::issue::IssueKind;

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
            // Stops past `MAX_UNIX`, so the sum cannot overflow.
            let seconds = value.bytes().try_fold(0i64, |seconds, digit| {
                let seconds = seconds * 10 + i64::from(digit - b'0');
                (seconds <= MAX_UNIX).then_some(seconds)
            });
            return seconds.map(TimeInput::Unix).ok_or(IssueKind::Format);
        }
        parse_local(Cursor(value.as_bytes()))
            .or_else(|| parse_datetime_local(Cursor(value.as_bytes())))
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

/// `M/D/YY H:MM AM` with one or two digits for month, day and hour, two or four for the year,
/// ASCII whitespace between date and time, and AM or PM after the time, spaced or not.
fn parse_local(mut text: Cursor) -> Option<LocalDateTime> {
    let month = text.number(1, 2)?;
    text.byte(b'/')?;
    let day = text.number(1, 2)?;
    text.byte(b'/')?;
    let year = match text.number(4, 4) {
        Some(year) => year,
        None => 2000 + text.number(2, 2)?,
    };
    text.spaces()?;
    let hour = text.number(1, 2)?;
    text.byte(b':')?;
    let minute = text.number(2, 2)?;
    // `12:30PM` without the space is accepted too.
    let _ = text.spaces();
    let pm = match text.0 {
        [b'a' | b'A', b'm' | b'M'] => false,
        [b'p' | b'P', b'm' | b'M'] => true,
        _ => return None,
    };
    if !(1..=12).contains(&hour) {
        return None;
    }
    local_date_time(
        year,
        month,
        day,
        hour % 12 + if pm { 12 } else { 0 },
        minute,
    )
}

/// `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS` (seconds dropped), as HTML's datetime-local sends.
fn parse_datetime_local(mut text: Cursor) -> Option<LocalDateTime> {
    let year = text.number(4, 4)?;
    text.byte(b'-')?;
    let month = text.number(2, 2)?;
    text.byte(b'-')?;
    let day = text.number(2, 2)?;
    text.byte(b'T').or_else(|| text.byte(b't'))?;
    let hour = text.number(2, 2)?;
    text.byte(b':')?;
    let minute = text.number(2, 2)?;
    if text.byte(b':').is_some() && text.number(2, 2)? > 59 {
        return None;
    }
    if !text.0.is_empty() {
        return None;
    }
    local_date_time(year, month, day, hour, minute)
}

/// A wall-clock time on a day that exists (hour 0-23, minute 0-59), or none. Inlined into both
/// parsers: a call of its own costs the widget 230 bytes.
#[inline(always)]
fn local_date_time(
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
) -> Option<LocalDateTime> {
    if !(1..=12).contains(&month)
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

/// What is left of a time to read. Byte by byte, never slicing or splitting a `str`: those bring
/// panic messages and `core::fmt` into the widget (issue 12), and every byte a time may hold is
/// ASCII. Each reader takes what it wants or, answering `None`, nothing.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    /// The run of ASCII digits that starts here, as a number, when it is `min..=max` long: a
    /// longer run is refused, not cut.
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let length = self
            .0
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if length < min || length > max {
            return None;
        }
        let (digits, rest) = self.0.split_at_checked(length)?;
        self.0 = rest;
        Some(
            digits
                .iter()
                .fold(0, |number, digit| number * 10 + u32::from(digit - b'0')),
        )
    }

    fn byte(&mut self, wanted: u8) -> Option<()> {
        match self.0 {
            [first, rest @ ..] if *first == wanted => {
                self.0 = rest;
                Some(())
            }
            _ => None,
        }
    }

    /// A run of one or more ASCII whitespace bytes.
    fn spaces(&mut self) -> Option<()> {
        let mut found = None;
        while let [first, rest @ ..] = self.0 {
            if !first.is_ascii_whitespace() {
                break;
            }
            self.0 = rest;
            found = Some(());
        }
        found
    }
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
