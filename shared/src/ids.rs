//! Numeric CLOSEM ids (tags, contact lists, sequences) and comma-separated lists of them.

use alloc::{string::String, vec::Vec};

use core::fmt;

use crate::issue::IssueKind;
use crate::split;

/// Caps a list so one field cannot fan a request out to thousands of targets.
pub const MAX_LIST_ITEMS: usize = 100;

/// A numeric CLOSEM id; leading zeros are dropped.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Id(u64);

impl Id {
    /// ASCII digits only, after trimming; anything else (signs, spaces inside, overflow) is `format`.
    pub fn parse(value: &str) -> Result<Id, IssueKind> {
        let value = value.trim();
        if value.is_empty() {
            return Err(IssueKind::Format);
        }
        // Digit by digit: `str::parse` brings its own error type and 128-bit overflow checks.
        value
            .bytes()
            .try_fold(0u64, |id, byte| {
                let digit = byte.checked_sub(b'0').filter(|digit| *digit <= 9)?;
                (id <= u64::MAX / 10)
                    .then(|| id * 10)?
                    .checked_add(u64::from(digit))
            })
            .map(Id)
            .ok_or(IssueKind::Format)
    }

    /// Exactly one id: CLOSEM runs one sequence per request, so `42,57` is `multiple`.
    /// Blank input (or only commas) is `Ok(None)`: empty values count as absent.
    pub fn parse_single(value: &str) -> Result<Option<Id>, IssueKind> {
        let mut items = split::items(value);
        let Some(first) = items.next() else {
            return Ok(None);
        };
        let id = Id::parse(first)?;
        match items.next() {
            None => Ok(Some(id)),
            // A bad second item says more about the input than the count does.
            Some(second) => Id::parse(second).and(Err(IssueKind::Multiple)),
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for Id {
    fn from(id: u64) -> Id {
        Id(id)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A de-duplicated list of ids in first-seen order, at most [`MAX_LIST_ITEMS`] long.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct IdList(Vec<Id>);

impl IdList {
    /// One comma-separated value, e.g. `42, 57,,42` -> `42,57`.
    pub fn parse(value: &str) -> Result<IdList, IssueKind> {
        IdList::parse_all([value])
    }

    /// Several values of one field, e.g. repeated `tags` inputs, concatenated.
    pub fn parse_all<'v>(values: impl IntoIterator<Item = &'v str>) -> Result<IdList, IssueKind> {
        crate::value::list(values, Id::parse).map(IdList)
    }

    /// Builds a list from ids, de-duplicating; `too_long` past [`MAX_LIST_ITEMS`].
    pub fn from_ids(ids: impl IntoIterator<Item = Id>) -> Result<IdList, IssueKind> {
        let mut list = IdList::default();
        for id in ids {
            list.push(id)?;
        }
        Ok(list)
    }

    fn push(&mut self, id: Id) -> Result<(), IssueKind> {
        if !self.0.contains(&id) {
            if self.0.len() == MAX_LIST_ITEMS {
                return Err(IssueKind::TooLong);
            }
            self.0.push(id);
        }
        Ok(())
    }

    /// These ids and then `other`'s that are new, at most [`MAX_LIST_ITEMS`].
    pub fn union(&self, other: &IdList) -> IdList {
        let mut ids = self.0.clone();
        for id in &other.0 {
            if ids.len() < MAX_LIST_ITEMS && !ids.contains(id) {
                ids.push(*id);
            }
        }
        IdList(ids)
    }

    pub fn ids(&self) -> &[Id] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The wire form: ids joined by `,` with no spaces.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (index, id) in self.0.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            push_decimal(&mut out, id.0);
        }
        out
    }
}

/// Decimal digits without `format!`, which would pull formatting machinery into the widget, and
/// without a digit buffer, whose indexing would bring a bounds-check panic message instead.
pub(crate) fn push_decimal(out: &mut String, number: u64) {
    if number >= 10 {
        push_decimal(out, number / 10);
    }
    out.push(char::from(b'0' + (number % 10) as u8));
}
