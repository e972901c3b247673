//! Splitting text at a separator, for the parsers the widget runs.
//!
//! A `char` pattern (`value.split(',')`) goes through `core`'s `CharSearcher`, whose bounds check
//! on the separator's encoded bytes ends in a formatted panic message: in the widget's `no_std`
//! build that kept `core::fmt` (number formatting, padding, char counting) in the download
//! (issue 12). A one-element array pattern (`[',']`) is searched char by char, by the same code as
//! `split_once(['T', 't'])`, and finds the same places without it.

/// The pieces of `value` between `separator`s, exactly as `value.split(separator)` gives them.
pub(crate) fn split(value: &str, separator: char) -> impl Iterator<Item = &str> {
    value.split([separator])
}

/// `value.split_once(separator)`.
pub(crate) fn split_once(value: &str, separator: char) -> Option<(&str, &str)> {
    value.split_once([separator])
}

/// The items of a comma-separated value, trimmed, blanks dropped: `42, 57,,` gives `42`, `57`.
pub(crate) fn items(value: &str) -> impl Iterator<Item = &str> {
    split(value, ',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}
