//! The widget-to-edge wire contract: the names both sides spell. The widget writes them (its
//! `dom.js` spells the same strings, which a test compares with these constants) and the edge
//! reads them; no other module writes them out.

/// Every field whose name starts with this is the widget's, never a visitor's input.
pub const RESERVED_PREFIX: &str = "_closem";

/// The submission's idempotency key, as a field (native posts cannot set headers).
pub const KEY_FIELD: &str = "_closem_key";

/// Milliseconds from enhancing the form to sending it (the fill-time trap).
pub const FILL_TIME_FIELD: &str = "_closem_t";

/// The submission's idempotency key, as a header.
pub const KEY_HEADER: &str = "Idempotency-Key";

/// `_closem_field:<name>` carries the `data-closem-field` hint of the control sent as `<name>`.
pub const HINT_PREFIX: &str = "_closem_field:";

/// `_closem_auto:<name>` carries the `autocomplete` token of the control sent as `<name>`.
pub const AUTOCOMPLETE_PREFIX: &str = "_closem_auto:";

/// The value of the reserved field `<prefix><name>` among `pairs`, if the widget sent one.
pub fn hint_for<'a, N: AsRef<str>, V: AsRef<str>>(
    pairs: &'a [(N, V)],
    prefix: &str,
    name: &str,
) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key.as_ref().strip_prefix(prefix) == Some(name))
        .map(|(_, value)| value.as_ref())
}
