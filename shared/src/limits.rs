//! The caps on lengths and counts, each number written once: as a literal macro, which
//! messages splice in with `concat!` (a `const` cannot become part of a `&'static str`), and as
//! the constant the code compares with.

/// Characters in most text fields (names, address parts).
macro_rules! max_text {
    () => {
        256
    };
}
/// Characters in the notes and the appointment note.
macro_rules! max_long_text {
    () => {
        2000
    };
}
/// Items in one list field (tags, contact lists, contact emails, contact phones).
macro_rules! max_list_items {
    () => {
        100
    };
}
pub(crate) use {max_list_items, max_long_text, max_text};

/// Most text fields: names, address parts.
pub const MAX_TEXT: usize = max_text!();
/// Notes and appointment notes are free text.
pub const MAX_LONG_TEXT: usize = max_long_text!();
/// Caps a list so one field cannot fan a request out to thousands of targets.
pub const MAX_LIST_ITEMS: usize = max_list_items!();
