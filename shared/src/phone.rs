//! North American phone numbers in the shapes CLOSEM documents, normalised to E.164.

use alloc::string::String;

use crate::issue::IssueKind;

/// A valid phone number in E.164 form, `+1##########`; only parsing makes one.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Phone(String);

// Generous for `+1 (555) 444-3333` with stray spaces, small enough to refuse padding games.
const MAX_INPUT: usize = 32;

impl Phone {
    /// Accepts `+1 (###) ###-####`, `+1##########`, `1##########`, `1-###-###-####`, ten bare
    /// digits (the reference's own `777-888-9999` and `9999999998`, assumed +1), and the usual
    /// separators (spaces, dots, dashes, one pair of parentheses). Anything else is `format`.
    pub fn parse(value: &str) -> Result<Phone, IssueKind> {
        let value = value.trim();
        if value.is_empty() || value.len() > MAX_INPUT {
            return Err(IssueKind::Format);
        }
        let mut digits = [0u8; 11];
        let mut count = 0;
        let mut plus = false;
        let mut open = false;
        let mut closed = false;
        for (position, byte) in value.bytes().enumerate() {
            match byte {
                b'0'..=b'9' => {
                    // `get_mut`, not indexing: no bounds-check panic (and its formatting) to ship.
                    let Some(slot) = digits.get_mut(count) else {
                        return Err(IssueKind::Format);
                    };
                    *slot = byte;
                    count += 1;
                }
                b'+' if position == 0 => plus = true,
                b'(' if !open => open = true,
                b')' if open && !closed => closed = true,
                b' ' | b'-' | b'.' => {}
                _ => return Err(IssueKind::Format),
            }
        }
        if open != closed {
            return Err(IssueKind::Format);
        }
        let national = match (count, digits[0]) {
            (11, b'1') => &digits[1..11],
            // A `+` promises a country code, so ten digits after it would name another country.
            (10, _) if !plus => &digits[..10],
            _ => return Err(IssueKind::Format),
        };
        let mut canonical = String::with_capacity(12);
        canonical.push_str("+1");
        canonical.extend(national.iter().map(|&digit| char::from(digit)));
        Ok(Phone(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
