//! Splitting comma-separated values, for the parsers the widget runs.
//!
//! A `char` pattern (`value.split(',')`) goes through `core`'s `CharSearcher`, whose bounds check
//! on the separator's encoded bytes ends in a formatted panic message: in the widget's `no_std`
//! build that kept `core::fmt` (number formatting, padding, char counting) in the download
//! (issue 12). A one-element array pattern (`[',']`) is searched char by char, as
//! `split_once(['T', 't'])` is, and finds the same places without it.

/// The items of a comma-separated value, trimmed, blanks dropped: `42, 57,,` gives `42`, `57`.
pub(crate) fn items(value: &str) -> impl Iterator<Item = &str> {
    value
        .split([','])
        .map(str::trim)
        .filter(|item| !item.is_empty())
}
