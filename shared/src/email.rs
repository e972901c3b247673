//! Email addresses: a practical subset of RFC 5321 that real forms produce.
//!
//! Checked byte by byte, never by slicing a `str`: a slice at a computed index brings
//! `core::str::slice_error_fail` and its formatting machinery into the widget (issue 12), and
//! every byte an address may hold is ASCII anyway.

use alloc::string::String;

use crate::issue::IssueKind;

/// A valid email address with a lowercased domain; only parsing makes one.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Email(String);

const MAX_LEN: usize = 254;
const MAX_LOCAL: usize = 64;
const MAX_LABEL: usize = 63;

impl Email {
    /// Trims, then wants one `@`, a plain ASCII local part and a dotted domain of letters, digits
    /// and hyphens. The reference's own examples read `[email protected]` (mangled by Cloudflare's
    /// email obfuscation) and are rejected like any other text with spaces.
    pub fn parse(value: &str) -> Result<Email, IssueKind> {
        let value = value.trim();
        let mut parts = value.as_bytes().split(|&byte| byte == b'@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(IssueKind::Format);
        };
        // Both parts allow ASCII only, so this is also the whole address's length in characters.
        if value.len() > MAX_LEN || !valid_local(local) || !valid_domain(domain) {
            return Err(IssueKind::Format);
        }
        let mut canonical = String::with_capacity(value.len());
        canonical.extend(local.iter().map(|&byte| char::from(byte)));
        canonical.push('@');
        canonical.extend(
            domain
                .iter()
                .map(|&byte| char::from(byte.to_ascii_lowercase())),
        );
        Ok(Email(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Letters, digits and RFC 5321's other atom characters; dots only between them, one at a time.
fn valid_local(local: &[u8]) -> bool {
    // Starting as if after a dot refuses a leading dot; ending on one refuses a trailing dot
    // and, with it, an empty local part.
    let mut previous = b'.';
    for &byte in local {
        let allowed = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
                    | b'-'
            )
            || (byte == b'.' && previous != b'.');
        if !allowed {
            return false;
        }
        previous = byte;
    }
    previous != b'.' && local.len() <= MAX_LOCAL
}

/// Two or more labels of letters, digits and inner hyphens.
fn valid_domain(domain: &[u8]) -> bool {
    let mut labels = 0;
    let mut top: &[u8] = &[];
    for label in domain.split(|&byte| byte == b'.') {
        let allowed = |byte: &u8| byte.is_ascii_alphanumeric() || *byte == b'-';
        if label.is_empty()
            || label.len() > MAX_LABEL
            || label.first() == Some(&b'-')
            || label.last() == Some(&b'-')
            || !label.iter().all(allowed)
        {
            return false;
        }
        labels += 1;
        top = label;
    }
    // A top-level domain is never all digits; this refuses `name@1.2.3.4` lookalikes.
    labels >= 2 && !top.iter().all(u8::is_ascii_digit)
}
