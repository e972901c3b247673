//! Email addresses: a practical subset of RFC 5321 that real forms produce.

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
        if value.is_empty() || value.len() > MAX_LEN || !value.is_ascii() {
            return Err(IssueKind::Format);
        }
        let (local, domain) = value.split_once('@').ok_or(IssueKind::Format)?;
        if !valid_local(local) || !valid_domain(domain) {
            return Err(IssueKind::Format);
        }
        let mut canonical = String::with_capacity(value.len());
        canonical.push_str(local);
        canonical.push('@');
        canonical.push_str(&domain.to_ascii_lowercase());
        Ok(Email(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_local(local: &str) -> bool {
    let allowed =
        |byte: u8| byte.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&byte);
    !local.is_empty()
        && local.len() <= MAX_LOCAL
        && local.bytes().all(allowed)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

fn valid_domain(domain: &str) -> bool {
    let mut labels = 0;
    for label in domain.split('.') {
        let allowed = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-';
        if label.is_empty()
            || label.len() > MAX_LABEL
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.bytes().all(allowed)
        {
            return false;
        }
        labels += 1;
    }
    // A top-level domain is never all digits; this refuses `name@1.2.3.4` lookalikes.
    let top = domain.rsplit('.').next().unwrap_or("");
    labels >= 2 && !top.bytes().all(|byte| byte.is_ascii_digit())
}
