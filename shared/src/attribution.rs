//! Campaign attribution: the first and last touch of a visit (`utm_*`, click ids, the referring
//! host, the landing path, the time) as the widget sends them (`_closem_first`, `_closem_last`)
//! or a native post carries them (hidden inputs, its `Referer`'s query and path), validated and
//! capped; the
//! readable block the edge appends to the contact's notes; and the profile's rules that add tags
//! or lists for allow-listed values. A visitor only ever supplies values: which tags and lists
//! exist, and which values earn them, is the profile's.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use crate::ids::IdList;
use crate::timestamp::MAX_UNIX;
use crate::wire;

/// The campaign parameters recorded, in the order the notes list them.
pub const PARAMETERS: [&str; 8] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "fbclid",
    "msclkid",
];
/// Keys of a touch besides [`PARAMETERS`]: the referring host, the landing path, UNIX seconds.
pub const REFERRER: &str = "ref";
pub const LANDING: &str = "path";
pub const TIME: &str = "at";

/// Longest parameter value kept (click ids are about 100 characters); longer ones are cut.
pub const MAX_VALUE: usize = 150;
/// Longest landing path kept, without its query.
pub const MAX_PATH: usize = 200;
/// Host names are at most 253 characters.
const MAX_HOST: usize = 253;
/// The widget's encoded touch is at most this long; anything longer is not read at all.
const MAX_ENCODED: usize = 4096;

/// One touch: what the visit carried when it arrived.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Touch {
    /// `(parameter, value)` in [`PARAMETERS`] order, only valid, non-empty values.
    pub parameters: Vec<(&'static str, String)>,
    pub referrer: Option<String>,
    pub landing: Option<String>,
    pub at: Option<i64>,
}

/// The visit's first and last touch; either may be empty.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Attribution {
    pub first: Touch,
    pub last: Touch,
}

impl Touch {
    /// The widget's encoding: `key=value&...` (form-urlencoded). Unknown keys, invalid values and
    /// repeats are dropped; values are capped.
    pub fn decode(encoded: &str) -> Touch {
        let mut touch = Touch::default();
        if encoded.len() > MAX_ENCODED {
            return touch;
        }
        for item in encoded.split('&') {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            touch.set(&percent_decode(key), &percent_decode(value));
        }
        touch
    }

    /// A native post's touch: hidden inputs named like [`PARAMETERS`], then what its `Referer`
    /// (the page the form was on) gives: campaign parameters in its query, and its path as the
    /// landing path.
    pub fn from_post<N: AsRef<str>, V: AsRef<str>>(
        pairs: &[(N, V)],
        referer: Option<&str>,
    ) -> Touch {
        let mut touch = Touch::default();
        for (name, value) in pairs {
            touch.set(name.as_ref(), value.as_ref());
        }
        if let Some((path, query)) = referer.and_then(url_path_and_query) {
            for item in query.split('&') {
                let (key, value) = item.split_once('=').unwrap_or((item, ""));
                if key != REFERRER && key != LANDING && key != TIME {
                    touch.set(&percent_decode(key), &percent_decode(value));
                }
            }
            if !touch.parameters.is_empty() {
                touch.set(LANDING, path);
            }
        }
        touch
    }

    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty()
            && self.referrer.is_none()
            && self.landing.is_none()
            && self.at.is_none()
    }

    /// The value of a parameter or of `ref`/`path`.
    pub fn get(&self, key: &str) -> Option<&str> {
        match key {
            REFERRER => self.referrer.as_deref(),
            LANDING => self.landing.as_deref(),
            _ => self
                .parameters
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
                .map(|(_, value)| value.as_str()),
        }
    }

    /// Keeps `value` under `key` when both are valid and the key has none yet.
    fn set(&mut self, key: &str, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        match key {
            REFERRER if self.referrer.is_none() => self.referrer = host(value),
            LANDING if self.landing.is_none() => self.landing = path(value),
            TIME if self.at.is_none() => {
                self.at = value
                    .parse::<i64>()
                    .ok()
                    .filter(|at| (0..=MAX_UNIX).contains(at))
            }
            _ => {
                let Some(&name) = PARAMETERS
                    .iter()
                    .find(|name| name.eq_ignore_ascii_case(key))
                else {
                    return;
                };
                if self.get(name).is_some() {
                    return;
                }
                if let Some(value) = capped(value, MAX_VALUE) {
                    let at = PARAMETERS.iter().position(|known| *known == name);
                    let index = self
                        .parameters
                        .iter()
                        .position(|(known, _)| {
                            PARAMETERS.iter().position(|other| other == known) > at
                        })
                        .unwrap_or(self.parameters.len());
                    self.parameters.insert(index, (name, value));
                }
            }
        }
    }

    /// `utm_source=google, utm_medium=cpc, referrer=www.google.com, landing=/pricing,
    /// at=2026-12-01 09:30 UTC`.
    fn line(&self) -> String {
        let mut out = String::new();
        let mut item = |name: &str, value: &str| {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        };
        for (name, value) in &self.parameters {
            item(name, value);
        }
        if let Some(referrer) = &self.referrer {
            item("referrer", referrer);
        }
        if let Some(landing) = &self.landing {
            item("landing", landing);
        }
        if let Some(at) = self.at {
            item("at", &utc_minute(at));
        }
        out
    }
}

impl Attribution {
    /// What the widget sent (`_closem_first`, `_closem_last`), else what a native post carries
    /// (hidden inputs and its `Referer`, which the edge passes for native posts only) as its last
    /// touch.
    pub fn from_request<N: AsRef<str>, V: AsRef<str>>(
        pairs: &[(N, V)],
        referer: Option<&str>,
    ) -> Attribution {
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key.as_ref() == name)
                .map(|(_, value)| Touch::decode(value.as_ref()))
        };
        let first = field(wire::FIRST_TOUCH_FIELD).unwrap_or_default();
        let last =
            field(wire::LAST_TOUCH_FIELD).unwrap_or_else(|| Touch::from_post(pairs, referer));
        Attribution { first, last }
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty() && self.last.is_empty()
    }

    /// The readable block for the contact's notes, or `None` when there is nothing to say:
    /// `attribution (first touch): ...` and `attribution (last touch): ...` lines.
    pub fn notes_block(&self) -> Option<String> {
        let mut out = String::new();
        for (label, touch) in [("first touch", &self.first), ("last touch", &self.last)] {
            if touch.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str("attribution (");
            out.push_str(label);
            out.push_str("): ");
            out.push_str(&touch.line());
        }
        (!out.is_empty()).then_some(out)
    }
}

/// A profile rule: when the first or the last touch has every listed value (case-insensitive),
/// the submission gets the rule's tags and contact lists.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rule {
    /// `(parameter or "ref", accepted values)`, all of which must match.
    pub when: Vec<(String, Vec<String>)>,
    pub tags: IdList,
    pub contact_lists: IdList,
}

impl Rule {
    pub fn matches(&self, attribution: &Attribution) -> bool {
        [&attribution.first, &attribution.last].iter().any(|touch| {
            self.when.iter().all(|(key, accepted)| {
                touch.get(key).is_some_and(|value| {
                    accepted
                        .iter()
                        .any(|allowed| allowed.eq_ignore_ascii_case(value))
                })
            })
        })
    }
}

/// The profile's attribution setting.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Settings {
    /// Append the readable block to the contact's notes.
    pub notes: bool,
    pub rules: Vec<Rule>,
}

/// Trimmed, without control characters, at most `limit` characters (cut there).
fn capped(value: &str, limit: usize) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().any(char::is_control) {
        return None;
    }
    Some(value.chars().take(limit).collect())
}

/// A host name (letters, digits, dots, dashes; a port is dropped), lowercased.
fn host(value: &str) -> Option<String> {
    let value = value.split(':').next().unwrap_or_default();
    let valid = !value.is_empty()
        && value.len() <= MAX_HOST
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-');
    valid.then(|| value.to_ascii_lowercase())
}

/// A path starting with `/`, without its query or fragment (which may hold personal data).
fn path(value: &str) -> Option<String> {
    let value = value.split(['?', '#']).next().unwrap_or_default();
    if !value.starts_with('/') {
        return None;
    }
    capped(value, MAX_PATH)
}

/// The path and query of an `http(s)://host/path?query#fragment` URL.
fn url_path_and_query(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.split('#').next().unwrap_or_default();
    let start = rest.find('/').unwrap_or(rest.len());
    let (path, query) = rest
        .get(start..)?
        .split_once('?')
        .unwrap_or((rest.get(start..)?, ""));
    Some((if path.is_empty() { "/" } else { path }, query))
}

/// Form-urlencoded text: `+` is a space, `%XX` a byte; invalid UTF-8 becomes U+FFFD.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|&digit| char::from(digit).to_digit(16))
        };
        match byte {
            b'+' => out.push(b' '),
            b'%' => match (hex(index + 1), hex(index + 2)) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    index += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `2026-12-01 09:30 UTC`.
fn utc_minute(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let minutes = seconds.rem_euclid(86_400) / 60;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = String::with_capacity(20);
    for (number, width, after) in [
        (year, 4, "-"),
        (month, 2, "-"),
        (day, 2, " "),
        (minutes / 60, 2, ":"),
        (minutes % 60, 2, " UTC"),
    ] {
        let digits = number.to_string_padded(width);
        out.push_str(&digits);
        out.push_str(after);
    }
    out
}

trait Padded {
    fn to_string_padded(self, width: usize) -> String;
}

impl Padded for i64 {
    fn to_string_padded(self, width: usize) -> String {
        let mut digits = String::new();
        crate::ids::push_decimal(&mut digits, self.unsigned_abs());
        let mut out = String::new();
        for _ in digits.len()..width {
            out.push('0');
        }
        out.push_str(&digits);
        out.to_owned()
    }
}
