//! Hex digits, both ways, and the percent-encoding built on them: one table for the edge's
//! keys and ids (lowercase), JSON's `\u00XX` escapes, and the query and form bodies it sends to
//! CLOSEM and to siteverify (uppercase, RFC 3986), without the `url` or `hex` crates.

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `byte` as two lowercase hex digits.
pub(crate) fn push_lower(out: &mut String, byte: u8) {
    out.push(char::from(LOWER[usize::from(byte >> 4)]));
    out.push(char::from(LOWER[usize::from(byte & 15)]));
}

/// Appends `text` percent-encoded: RFC 3986's unreserved characters as they are, every other
/// byte as `%XX` (uppercase), so it is safe in a query and in an urlencoded body.
pub(crate) fn push_percent_encoded(out: &mut String, text: &str) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(UPPER[usize::from(byte >> 4)]));
            out.push(char::from(UPPER[usize::from(byte & 15)]));
        }
    }
}

/// `text` percent-encoded, as [`push_percent_encoded`] appends it.
pub(crate) fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_percent_encoded(&mut out, text);
    out
}

/// The value of one hex digit, either case.
pub(crate) fn digit_value(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::{digit_value, percent_encoded, push_lower};

    #[test]
    fn encodes_and_decodes_digits() {
        let mut out = String::new();
        for byte in [0x00, 0x0f, 0xa5, 0xff] {
            push_lower(&mut out, byte);
        }
        assert_eq!(out, "000fa5ff");
        assert_eq!(percent_encoded("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        let digits: Vec<Option<u8>> = b"09afAFg".iter().map(|&byte| digit_value(byte)).collect();
        assert_eq!(
            digits,
            [
                Some(0),
                Some(9),
                Some(10),
                Some(15),
                Some(10),
                Some(15),
                None
            ]
        );
    }
}
