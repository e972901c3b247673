//! Checking one field's value at a time: shared by whole-submission parsing and the widget's
//! as-you-leave-the-field validation, so both give the same answer.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use crate::context::Context;
use crate::email::Email;
use crate::field::{Field, Mode};
use crate::ids::{push_decimal, Id, IdList, MAX_LIST_ITEMS};
use crate::issue::IssueKind;
use crate::phone::Phone;
use crate::split;
use crate::timestamp::resolve_timestamp;

/// Most text fields: names, address parts.
pub const MAX_TEXT: usize = 256;
/// Notes and appointment notes are free text.
pub const MAX_LONG_TEXT: usize = 2000;

/// Checks one value of `field` and returns it normalised as CLOSEM would receive it.
/// A blank value is `Ok("")`: whether a field may be empty is the form's decision, not the value's.
pub fn check_value(field: Field, value: &str, ctx: &Context) -> Result<String, IssueKind> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    match field {
        Field::Mode => Mode::parse(value)
            .map(|mode| mode.as_str().to_owned())
            .ok_or(IssueKind::Unknown),
        Field::Upsert => {
            parse_bool(value).map(|flag| if flag { "true" } else { "false" }.to_owned())
        }
        Field::Phone => Phone::parse_with(value, ctx.phone).map(|phone| phone.as_str().to_owned()),
        Field::Email => Email::parse(value).map(|email| email.as_str().to_owned()),
        Field::Tags | Field::ContactLists => IdList::parse(value).map(|ids| ids.encode()),
        Field::SequenceId => match Id::parse_single(value)? {
            Some(id) => Ok(decimal(id.get())),
            None => Ok(String::new()),
        },
        Field::ContactEmails => {
            let emails = list([value], Email::parse)?;
            Ok(join(emails.iter().map(Email::as_str)))
        }
        Field::ContactPhones => {
            let phones = list([value], |item| Phone::parse_with(item, ctx.phone))?;
            Ok(join(phones.iter().map(Phone::as_str)))
        }
        Field::AppointmentTimestamp => resolve_timestamp(value, ctx).map(signed_decimal),
        // Free text (`Field::is_text`), and the two credentials a profile never forwards.
        _ => text(field, value),
    }
}

/// Checks one value of a field a visitor fills in, as [`check_value`] does, without building the
/// normal form. Control fields answer `Ok`: only a profile sets them, and the edge reports a
/// visitor's. For the widget: with every control field's parser out of reach, the download loses
/// them (about 1.6 KB brotli, issue 12).
pub fn check_visitor_value(field: Field, value: &str, ctx: &Context) -> Result<(), IssueKind> {
    let value = value.trim();
    if value.is_empty() || field.is_control() {
        return Ok(());
    }
    match field {
        Field::Phone => Phone::parse_with(value, ctx.phone).map(drop),
        Field::Email => Email::parse(value).map(drop),
        Field::AppointmentTimestamp => resolve_timestamp(value, ctx).map(drop),
        // Every other field a visitor fills in is free text.
        _ => check_text(field, value),
    }
}

/// Trimmed free text within the field's length cap, counted in characters as people see them.
/// Control characters (NUL, escape, DEL, ...) are refused: no person types them, and CLOSEM and
/// whatever reads its data next should not have to cope; notes may keep tabs and line breaks.
pub(crate) fn text(field: Field, value: &str) -> Result<String, IssueKind> {
    check_text(field, value)?;
    Ok(value.trim().to_owned())
}

/// [`text`]'s checks, in one pass: too long wins over a control character, as a person sees
/// the length first.
fn check_text(field: Field, value: &str) -> Result<(), IssueKind> {
    let multiline = field.is_multiline();
    let limit = if multiline { MAX_LONG_TEXT } else { MAX_TEXT };
    let mut characters = 0;
    let mut control = false;
    for c in value.trim().chars() {
        characters += 1;
        control |= c.is_control() && !(multiline && matches!(c, '\t' | '\r' | '\n'));
    }
    if characters > limit {
        Err(IssueKind::TooLong)
    } else if control {
        Err(IssueKind::Format)
    } else {
        Ok(())
    }
}

/// HTML checkboxes send `on`; people and tools send the rest.
pub(crate) fn parse_bool(value: &str) -> Result<bool, IssueKind> {
    const WORDS: [(&str, bool); 8] = [
        ("true", true),
        ("1", true),
        ("yes", true),
        ("on", true),
        ("false", false),
        ("0", false),
        ("no", false),
        ("off", false),
    ];
    let value = value.trim();
    WORDS
        .iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(value))
        .map(|&(_, flag)| flag)
        .ok_or(IssueKind::Format)
}

/// Comma-separated values across repeated inputs: each item checked, duplicates dropped in
/// first-seen order, at most [`MAX_LIST_ITEMS`].
pub(crate) fn list<'v, T: PartialEq>(
    values: impl IntoIterator<Item = &'v str>,
    parse: impl Fn(&str) -> Result<T, IssueKind>,
) -> Result<Vec<T>, IssueKind> {
    let mut items = Vec::new();
    let mut format = false;
    for value in values {
        for item in split::items(value) {
            match parse(item) {
                Ok(item) if items.contains(&item) => {}
                Ok(_) if items.len() == MAX_LIST_ITEMS => return Err(IssueKind::TooLong),
                Ok(item) => items.push(item),
                Err(_) => format = true,
            }
        }
    }
    if format {
        return Err(IssueKind::Format);
    }
    Ok(items)
}

/// The one value of a single-value field that may arrive several times (aliases, repeated
/// inputs): every value must check, and to the same normal form, else `conflict`; `None` when
/// none was given. Parsing and the profile both decide conflicts with it.
pub(crate) fn single<'v, T: PartialEq>(
    values: impl IntoIterator<Item = &'v str>,
    parse: impl Fn(&str) -> Result<T, IssueKind>,
) -> Result<Option<T>, IssueKind> {
    let mut found: Option<T> = None;
    for value in values {
        let parsed = parse(value)?;
        match &found {
            None => found = Some(parsed),
            Some(existing) if *existing == parsed => {}
            Some(_) => return Err(IssueKind::Conflict),
        }
    }
    Ok(found)
}

pub(crate) fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out
}

pub(crate) fn decimal(number: u64) -> String {
    let mut out = String::new();
    push_decimal(&mut out, number);
    out
}

pub(crate) fn signed_decimal(number: i64) -> String {
    let mut out = String::new();
    if number < 0 {
        out.push('-');
    }
    push_decimal(&mut out, number.unsigned_abs());
    out
}
