//! Phone numbers, normalised to E.164: North American ones in the shapes CLOSEM documents (the
//! default rule), or international ones (`+` and a country code, or national in the profile's
//! default country), checked against a compact per-country table of calling codes and lengths.

use alloc::string::String;

use crate::issue::IssueKind;

/// A valid phone number in E.164 form (`+` and at most 15 digits); only parsing makes one.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Phone(String);

/// Which numbers a form takes: the profile's `phone` setting (and the form's `data-closem-phone`,
/// so the widget decides as the edge does).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum PhoneRule {
    /// The formats CLOSEM documents: North American numbers (`+1 (555) 444-3333`, ...).
    #[default]
    NorthAmerican,
    /// Any country of [`COUNTRIES`] written with `+` (or `00`) and its calling code; a number
    /// without one is national in `default_country`, when the profile names one.
    International { default_country: Option<Country> },
}

/// A country of [`COUNTRIES`], by its ISO 3166 alpha-2 code.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Country(&'static Plan);

/// One country's numbering: its calling code, how many digits its national significant numbers
/// have, and whether national dialling puts a trunk `0` before them (which E.164 drops).
#[derive(PartialEq, Eq, Debug)]
pub struct Plan {
    /// ISO 3166 alpha-2, as bytes: eight bytes an entry keep the widget's copy small.
    iso: [u8; 2],
    pub code: u16,
    pub min: u8,
    pub max: u8,
    pub trunk_zero: bool,
}

impl Plan {
    pub fn iso(&'static self) -> &'static str {
        core::str::from_utf8(&self.iso).unwrap_or_default()
    }
}

const fn plan(iso: &'static str, code: u16, min: u8, max: u8, trunk_zero: bool) -> Plan {
    let bytes = iso.as_bytes();
    Plan {
        iso: [bytes[0], bytes[1]],
        code,
        min,
        max,
        trunk_zero,
    }
}

/// National significant number lengths per ITU-T E.164 country plans (the shortest and longest
/// numbers in use, mobiles included). +1 (US, CA) also follows the North American numbering
/// plan: area code and exchange do not start with 0 or 1.
pub const COUNTRIES: [Plan; 33] = [
    plan("US", 1, 10, 10, false),
    plan("CA", 1, 10, 10, false),
    plan("MX", 52, 10, 10, false),
    plan("BR", 55, 10, 11, true),
    plan("AR", 54, 10, 11, true),
    plan("CO", 57, 10, 10, false),
    plan("CL", 56, 9, 9, false),
    plan("GB", 44, 9, 10, true),
    plan("IE", 353, 7, 9, true),
    plan("FR", 33, 9, 9, true),
    plan("DE", 49, 6, 11, true),
    plan("ES", 34, 9, 9, false),
    plan("PT", 351, 9, 9, false),
    // Italy keeps the leading 0 of fixed lines in E.164 (+39 06 ...).
    plan("IT", 39, 6, 11, false),
    plan("NL", 31, 9, 9, true),
    plan("BE", 32, 8, 9, true),
    plan("CH", 41, 9, 9, true),
    plan("AT", 43, 4, 13, true),
    plan("SE", 46, 7, 9, true),
    plan("NO", 47, 8, 8, false),
    plan("DK", 45, 8, 8, false),
    plan("PL", 48, 9, 9, false),
    plan("AU", 61, 9, 9, true),
    plan("NZ", 64, 8, 10, true),
    plan("IN", 91, 10, 10, true),
    plan("JP", 81, 9, 10, true),
    plan("CN", 86, 10, 11, true),
    plan("KR", 82, 8, 10, true),
    plan("SG", 65, 8, 8, false),
    plan("PH", 63, 10, 10, true),
    plan("ZA", 27, 9, 9, true),
    plan("NG", 234, 8, 10, true),
    plan("AE", 971, 8, 9, true),
];

impl PhoneRule {
    /// The rule a form's `data-closem-phone` attribute names, as the profile's `phone` and
    /// `default_country` do: `international`, or `international GB` with a default country;
    /// anything else (or nothing) is the documented North American rule.
    pub fn from_attribute(value: Option<&str>) -> PhoneRule {
        match value
            .unwrap_or_default()
            .trim()
            .strip_prefix("international")
        {
            Some(country) => PhoneRule::International {
                default_country: Country::parse(country),
            },
            None => PhoneRule::NorthAmerican,
        }
    }
}

impl Country {
    /// `GB`, `gb`: a country of [`COUNTRIES`].
    pub fn parse(iso: &str) -> Option<Country> {
        COUNTRIES
            .iter()
            .find(|plan| plan.iso.eq_ignore_ascii_case(iso.trim().as_bytes()))
            .map(Country)
    }

    pub fn iso(self) -> &'static str {
        self.0.iso()
    }

    pub fn calling_code(self) -> u16 {
        self.0.code
    }
}

// Generous for `+44 (0)20 7946 0958` with stray spaces, small enough to refuse padding games.
const MAX_INPUT: usize = 32;
/// E.164 numbers have at most 15 digits.
const MAX_DIGITS: usize = 15;

/// The digits of a written number, whether it began with `+` (or `00`, the international
/// prefix), and nothing else: separators are spaces, dots, dashes and one pair of parentheses.
struct Written {
    digits: [u8; MAX_DIGITS + 2],
    count: usize,
    plus: bool,
}

impl Written {
    fn read(value: &str) -> Option<Written> {
        let value = value.trim();
        if value.is_empty() || value.len() > MAX_INPUT {
            return None;
        }
        let mut written = Written {
            digits: [0; MAX_DIGITS + 2],
            count: 0,
            plus: false,
        };
        let (mut open, mut closed) = (false, false);
        for (position, byte) in value.bytes().enumerate() {
            match byte {
                b'0'..=b'9' => {
                    // `get_mut`, not indexing: no bounds-check panic (and its formatting) to ship.
                    *written.digits.get_mut(written.count)? = byte - b'0';
                    written.count += 1;
                }
                b'+' if position == 0 => written.plus = true,
                b'(' if !open => open = true,
                b')' if open && !closed => closed = true,
                b' ' | b'-' | b'.' => {}
                _ => return None,
            }
        }
        (open == closed).then_some(written)
    }

    fn digits(&self) -> &[u8] {
        self.digits.get(..self.count).unwrap_or_default()
    }
}

impl Phone {
    /// The documented North American rule: `+1 (###) ###-####`, `+1##########`, `1##########`,
    /// `1-###-###-####`, ten bare digits (the reference's own `777-888-9999` and `9999999998`,
    /// assumed +1), and the usual separators. Anything else is `format`.
    pub fn parse(value: &str) -> Result<Phone, IssueKind> {
        Phone::parse_with(value, PhoneRule::NorthAmerican)
    }

    /// Parses `value` under `rule`; see [`PhoneRule`].
    pub fn parse_with(value: &str, rule: PhoneRule) -> Result<Phone, IssueKind> {
        let written = Written::read(value).ok_or(IssueKind::Format)?;
        let digits = written.digits();
        match rule {
            PhoneRule::NorthAmerican => north_american(digits, written.plus),
            PhoneRule::International { default_country } => {
                let international = written.plus || digits.starts_with(&[0, 0]);
                match (international, default_country) {
                    (true, _) => {
                        let digits = if written.plus {
                            digits
                        } else {
                            digits.get(2..).unwrap_or_default()
                        };
                        with_calling_code(digits)
                    }
                    (false, Some(country)) => national(country.0, digits),
                    (false, None) => None,
                }
            }
        }
        .map(Phone)
        .ok_or(IssueKind::Format)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn north_american(digits: &[u8], plus: bool) -> Option<String> {
    let national = match digits {
        [1, rest @ ..] if rest.len() == 10 => rest,
        // A `+` promises a country code, so ten digits after it would name another country.
        _ if digits.len() == 10 && !plus => digits,
        _ => return None,
    };
    e164(&COUNTRIES[0], national)
}

/// `digits` start with a calling code: calling codes are prefix-free, so at most one of one, two
/// or three leading digits is one.
fn with_calling_code(digits: &[u8]) -> Option<String> {
    let mut code = 0u16;
    for (length, &digit) in digits.iter().take(3).enumerate() {
        code = code * 10 + u16::from(digit);
        if let Some(plan) = COUNTRIES.iter().find(|plan| plan.code == code) {
            let rest = digits.get(length + 1..)?;
            // `+44 (0)20 ...`: the trunk 0 written after the code is not part of the number.
            let rest = match rest {
                [0, national @ ..] if plan.trunk_zero => national,
                _ => rest,
            };
            return e164(plan, rest);
        }
    }
    None
}

/// A number dialled within `plan`'s country: its trunk 0 (where it has one) is dropped; a
/// North American number may also start with 1.
fn national(plan: &Plan, digits: &[u8]) -> Option<String> {
    let national = match digits {
        [0, rest @ ..] if plan.trunk_zero => rest,
        [1, rest @ ..] if plan.code == 1 && rest.len() == 10 => rest,
        _ => digits,
    };
    e164(plan, national)
}

/// `+{code}{national}` when the national number fits the plan.
fn e164(plan: &Plan, national: &[u8]) -> Option<String> {
    let length = national.len();
    if length < usize::from(plan.min) || length > usize::from(plan.max) {
        return None;
    }
    if plan.code == 1 {
        // The North American numbering plan: area code and exchange start with 2-9.
        let (area, exchange) = (national.first()?, national.get(3)?);
        if *area < 2 || *exchange < 2 {
            return None;
        }
    }
    // Calling codes have one to three digits; `extend` with chars is what the widget links anyway.
    let code = plan.code;
    let code_digits = [
        (code / 100) as u8,
        (code / 10 % 10) as u8,
        (code % 10) as u8,
    ];
    let leading = usize::from(code < 100) + usize::from(code < 10);
    let mut out = String::with_capacity(16);
    out.push('+');
    out.extend(
        code_digits
            .iter()
            .skip(leading)
            .chain(national)
            .map(|&digit| char::from(b'0' + digit)),
    );
    (out.len() <= MAX_DIGITS + 1).then_some(out)
}
