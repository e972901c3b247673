//! Request bodies as a form delivers them: `application/x-www-form-urlencoded` and
//! `multipart/form-data` become `(name, value)` pairs, within size limits. Pure functions over bytes,
//! so they are tested natively and fuzzed; the Worker only hands them the bytes.

#[cfg(test)]
mod fuzz;
mod multipart;
mod urlencoded;

pub(crate) use multipart::parse_multipart;
pub(crate) use urlencoded::parse_urlencoded;

/// Caps that keep one request cheap. A CLOSEM lead is a handful of short fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Whole body, in bytes (larger: 413).
    pub body_bytes: usize,
    /// Number of fields (more: 400).
    pub fields: usize,
    /// One field's value, in bytes (longer: 400).
    pub value_bytes: usize,
    /// One field's name, in bytes.
    pub name_bytes: usize,
}

pub(crate) const LIMITS: Limits = Limits {
    body_bytes: 64 * 1024,
    fields: 64,
    value_bytes: 8 * 1024,
    name_bytes: 128,
};

/// Why a body could not become fields. Each is the client's fault: a 4xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// The body is larger than [`Limits::body_bytes`].
    TooLarge,
    /// The content type is neither form encoding.
    UnsupportedContentType(String),
    /// The multipart body does not follow RFC 7578 (reason says where).
    BrokenMultipart(&'static str),
    /// A name or value is not UTF-8 (the field name, lossily decoded).
    InvalidUtf8(String),
    /// More fields than [`Limits::fields`].
    TooManyFields,
    /// A value longer than [`Limits::value_bytes`] (the field name).
    ValueTooLong(String),
    /// A name longer than [`Limits::name_bytes`].
    NameTooLong,
}

impl BodyError {
    pub(crate) fn status(&self) -> u16 {
        match self {
            BodyError::TooLarge => 413,
            BodyError::UnsupportedContentType(_) => 415,
            _ => 400,
        }
    }

    /// A stable machine code, like the field issues' codes.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            BodyError::TooLarge => "body.too_large",
            BodyError::UnsupportedContentType(_) => "body.content_type",
            BodyError::BrokenMultipart(_) => "body.multipart",
            BodyError::InvalidUtf8(_) => "body.utf8",
            BodyError::TooManyFields => "body.too_many_fields",
            BodyError::ValueTooLong(_) => "body.value_too_long",
            BodyError::NameTooLong => "body.name_too_long",
        }
    }

    /// The field the problem is about, when there is one.
    pub(crate) fn field(&self) -> Option<&str> {
        match self {
            BodyError::InvalidUtf8(name) | BodyError::ValueTooLong(name) => Some(name),
            _ => None,
        }
    }

    pub(crate) fn message(&self) -> String {
        match self {
            BodyError::TooLarge => format!(
                "the form is too large: send at most {} KB",
                LIMITS.body_bytes / 1024
            ),
            BodyError::UnsupportedContentType(kind) => format!(
                "send the form as application/x-www-form-urlencoded or multipart/form-data, not `{kind}`"
            ),
            BodyError::BrokenMultipart(reason) => format!("the multipart body is malformed: {reason}"),
            BodyError::InvalidUtf8(_) => "the form contains text that is not valid UTF-8".into(),
            BodyError::TooManyFields => format!("the form has too many fields: send at most {}", LIMITS.fields),
            BodyError::ValueTooLong(_) => format!(
                "this value is too long: send at most {} characters",
                LIMITS.value_bytes
            ),
            BodyError::NameTooLong => format!("a field name is longer than {} characters", LIMITS.name_bytes),
        }
    }
}

/// How the body is encoded, from its Content-Type header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Encoding {
    UrlEncoded,
    Multipart { boundary: String },
}

/// Reads the Content-Type header. A missing header is treated as urlencoded only when the body is
/// empty-safe for it; here it is an error, because every browser form post sends one.
pub(crate) fn encoding(content_type: Option<&str>) -> Result<Encoding, BodyError> {
    let Some(content_type) = content_type else {
        return Err(BodyError::UnsupportedContentType("none".into()));
    };
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Ok(Encoding::UrlEncoded),
        "multipart/form-data" => {
            let boundary = parts
                .filter_map(|parameter| parameter.split_once('='))
                .find(|(key, _)| key.trim().eq_ignore_ascii_case("boundary"))
                .map(|(_, value)| value.trim().trim_matches('"').to_string())
                .filter(|boundary| !boundary.is_empty() && boundary.len() <= 70)
                .ok_or(BodyError::BrokenMultipart(
                    "the content type names no boundary",
                ))?;
            Ok(Encoding::Multipart { boundary })
        }
        _ => Err(BodyError::UnsupportedContentType(
            essence.chars().take(60).collect(),
        )),
    }
}

/// Bytes to fields, by content type, within [`LIMITS`].
pub(crate) fn parse(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<(String, String)>, BodyError> {
    parse_with(content_type, body, &LIMITS)
}

pub(crate) fn parse_with(
    content_type: Option<&str>,
    body: &[u8],
    limits: &Limits,
) -> Result<Vec<(String, String)>, BodyError> {
    if body.len() > limits.body_bytes {
        return Err(BodyError::TooLarge);
    }
    match encoding(content_type)? {
        Encoding::UrlEncoded => parse_urlencoded(body, limits),
        Encoding::Multipart { boundary } => parse_multipart(body, &boundary, limits),
    }
}

/// Checks one decoded field against the limits and appends it.
fn push_field(
    fields: &mut Vec<(String, String)>,
    name: Vec<u8>,
    value: Vec<u8>,
    limits: &Limits,
) -> Result<(), BodyError> {
    if fields.len() >= limits.fields {
        return Err(BodyError::TooManyFields);
    }
    if name.len() > limits.name_bytes {
        return Err(BodyError::NameTooLong);
    }
    let name = String::from_utf8(name).map_err(|error| {
        BodyError::InvalidUtf8(String::from_utf8_lossy(error.as_bytes()).into_owned())
    })?;
    if value.len() > limits.value_bytes {
        return Err(BodyError::ValueTooLong(name));
    }
    let value = String::from_utf8(value).map_err(|_| BodyError::InvalidUtf8(name.clone()))?;
    fields.push((name, value));
    Ok(())
}
