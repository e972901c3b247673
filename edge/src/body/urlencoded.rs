//! `application/x-www-form-urlencoded` bodies (the WHATWG rules: `+` is a space, `%XX` a byte).

use super::{push_field, BodyError, Limits};
use crate::hex::digit_value;

pub(crate) fn parse_urlencoded(
    body: &[u8],
    limits: &Limits,
) -> Result<Vec<(String, String)>, BodyError> {
    let mut fields = Vec::new();
    for pair in body.split(|byte| *byte == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|byte| *byte == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        push_field(&mut fields, decode(name), decode(value), limits)?;
    }
    Ok(fields)
}

/// Percent-decoding; a `%` not followed by two hex digits stays as it is, as browsers do.
fn decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut index = 0;
    while index < input.len() {
        match input[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let high = input.get(index + 1).and_then(|byte| digit_value(*byte));
                let low = input.get(index + 2).and_then(|byte| digit_value(*byte));
                if let (Some(high), Some(low)) = (high, low) {
                    out.push(high << 4 | low);
                    index += 2;
                } else {
                    out.push(b'%');
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{BodyError, LIMITS};
    use super::parse_urlencoded;

    fn check(body: &str, expected: &[(&str, &str)]) {
        let fields = parse_urlencoded(body.as_bytes(), &LIMITS).unwrap();
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(fields, expected, "body {body:?}");
    }

    #[test]
    fn decodes_like_a_browser_form() {
        check(
            "email=a%40b.co&name=John+Doe",
            &[("email", "a@b.co"), ("name", "John Doe")],
        );
        check("tags=1&tags=2&&", &[("tags", "1"), ("tags", "2")]);
        check("flag&empty=", &[("flag", ""), ("empty", "")]);
        check("bad=%zz%4", &[("bad", "%zz%4")]);
        check("e=%C3%A9", &[("e", "é")]);
    }

    #[test]
    fn rejects_invalid_utf8_and_names_the_field() {
        let error = parse_urlencoded(b"notes=%FF%FE", &LIMITS).unwrap_err();
        assert_eq!(error, BodyError::InvalidUtf8("notes".into()));
    }

    #[test]
    fn caps_field_count_and_value_length() {
        let many = (0..=LIMITS.fields)
            .map(|i| format!("f{i}=x"))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            parse_urlencoded(many.as_bytes(), &LIMITS).unwrap_err(),
            BodyError::TooManyFields
        );
        let long = format!("notes={}", "x".repeat(LIMITS.value_bytes + 1));
        assert_eq!(
            parse_urlencoded(long.as_bytes(), &LIMITS).unwrap_err(),
            BodyError::ValueTooLong("notes".into())
        );
    }
}
