//! `multipart/form-data` bodies (RFC 7578), as browsers' FormData and `curl --form` send them.
//! File parts are skipped: a lead form carries text.

use super::{push_field, BodyError, Limits};

pub(crate) fn parse_multipart(
    body: &[u8],
    boundary: &str,
    limits: &Limits,
) -> Result<Vec<(String, String)>, BodyError> {
    let delimiter = [b"--", boundary.as_bytes()].concat();
    let next_delimiter = [b"\r\n--", boundary.as_bytes()].concat();
    let start =
        find(body, &delimiter).ok_or(BodyError::BrokenMultipart("the boundary never appears"))?;
    let mut rest = &body[start + delimiter.len()..];
    let mut fields = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(fields);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or(BodyError::BrokenMultipart(
                "a boundary is not followed by a line break",
            ))?;
        let header_end = find(rest, b"\r\n\r\n")
            .ok_or(BodyError::BrokenMultipart("a part's headers never end"))?;
        let headers = &rest[..header_end];
        let content_and_rest = &rest[header_end + 4..];
        let content_end = find(content_and_rest, &next_delimiter).ok_or(
            BodyError::BrokenMultipart("the closing boundary is missing"),
        )?;
        let content = &content_and_rest[..content_end];
        rest = &content_and_rest[content_end + next_delimiter.len()..];

        let disposition = disposition(headers)?;
        if disposition.is_file {
            continue;
        }
        push_field(&mut fields, disposition.name, content.to_vec(), limits)?;
    }
}

struct Disposition {
    name: Vec<u8>,
    is_file: bool,
}

fn disposition(headers: &[u8]) -> Result<Disposition, BodyError> {
    for line in headers.split(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|byte| *byte == b':') else {
            continue;
        };
        if !line[..colon].eq_ignore_ascii_case(b"content-disposition") {
            continue;
        }
        let value = &line[colon + 1..];
        let name =
            parameter(value, b"name").ok_or(BodyError::BrokenMultipart("a part has no name"))?;
        let is_file = parameter(value, b"filename").is_some();
        return Ok(Disposition { name, is_file });
    }
    Err(BodyError::BrokenMultipart(
        "a part has no Content-Disposition header",
    ))
}

/// The value of `key=` or `key="..."` in a header value; `name` does not match inside `filename`.
/// Parameters are split at `;` outside quotes only: browsers send `<input name="a;b">` as
/// `name="a;b"`.
fn parameter(value: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    for item in split_parameters(value) {
        let item = item.trim_ascii();
        let Some(equals) = item.iter().position(|byte| *byte == b'=') else {
            continue;
        };
        if !item[..equals].trim_ascii().eq_ignore_ascii_case(key) {
            continue;
        }
        let raw = item[equals + 1..].trim_ascii();
        let unquoted = raw
            .strip_prefix(b"\"")
            .and_then(|inner| inner.strip_suffix(b"\""))
            .unwrap_or(raw);
        // Browsers escape a quote in a name as %22 (and CR/LF as %0D/%0A); turn those back.
        return Some(unescape_quotes(unquoted));
    }
    None
}

/// `a; b="x;y"; c` -> `a`, ` b="x;y"`, ` c`. A backslash is an ordinary character: browsers
/// (the WHATWG encoding) escape a quote inside a name as `%22`, never with a backslash.
fn split_parameters(value: &[u8]) -> Vec<&[u8]> {
    let mut items = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (index, byte) in value.iter().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                items.push(&value[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(&value[start..]);
    items
}

fn unescape_quotes(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        let escaped = match raw.get(index..index + 3) {
            Some(b"%22") => Some(b'"'),
            Some(b"%0D") | Some(b"%0d") => Some(b'\r'),
            Some(b"%0A") | Some(b"%0a") => Some(b'\n'),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(raw[index]);
                index += 1;
            }
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::super::{BodyError, LIMITS};
    use super::parse_multipart;

    const B: &str = "XyZ";

    fn body(parts: &[&str]) -> Vec<u8> {
        let mut out = String::new();
        for part in parts {
            out.push_str(&format!("--{B}\r\n{part}\r\n"));
        }
        out.push_str(&format!("--{B}--\r\n"));
        out.into_bytes()
    }

    fn field(name: &str, value: &str) -> String {
        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
    }

    #[test]
    fn reads_fields_like_curl_form_sends_them() {
        let raw = body(&[
            &field("mode", "addcontact"),
            &field("notes", "line 1\r\nline 2"),
            &field("email", ""),
        ]);
        let fields = parse_multipart(&raw, B, &LIMITS).unwrap();
        assert_eq!(
            fields,
            vec![
                ("mode".to_string(), "addcontact".to_string()),
                ("notes".to_string(), "line 1\r\nline 2".to_string()),
                ("email".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn skips_file_parts_and_unescapes_names() {
        let file = "Content-Disposition: form-data; name=\"cv\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF";
        let raw = body(&[file, &field("say%22hi%22", "x")]);
        assert_eq!(
            parse_multipart(&raw, B, &LIMITS).unwrap(),
            vec![("say\"hi\"".to_string(), "x".to_string())]
        );
    }

    #[test]
    fn broken_bodies_say_what_is_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (b"no boundary here", "the boundary never appears"),
            (
                b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue",
                "the closing boundary is missing",
            ),
            (
                b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--",
                "a part has no name",
            ),
            (
                b"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--",
                "a part has no Content-Disposition header",
            ),
            (
                b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"",
                "a part's headers never end",
            ),
            (b"--XyZjunk", "a boundary is not followed by a line break"),
        ];
        for (raw, reason) in cases {
            assert_eq!(
                parse_multipart(raw, B, &LIMITS),
                Err(BodyError::BrokenMultipart(reason)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn invalid_utf8_value_is_refused_with_its_field() {
        let mut raw =
            format!("--{B}\r\nContent-Disposition: form-data; name=\"notes\"\r\n\r\n").into_bytes();
        raw.extend_from_slice(&[0xff, 0xfe]);
        raw.extend_from_slice(format!("\r\n--{B}--").as_bytes());
        assert_eq!(
            parse_multipart(&raw, B, &LIMITS),
            Err(BodyError::InvalidUtf8("notes".into()))
        );
    }
}
