//! The worker's bindings read once into a typed `Config`, or the full list of what is wrong with them.
//! Problems never include a secret's value.

// branch `config` is rewriting this file now; narrow its `pub` items once that lands (issue 15).
#![allow(unreachable_pub)]

use closem_shared::Forms;
use wasm_bindgen::JsValue;
use worker::Env;

use crate::timezone::Zone;

pub const DEFAULT_BASE_URL: &str = "https://app.closem.ai/";
pub const DEFAULT_TIMEZONE: &str = "UTC";
/// Longest wait between two delivery attempts, in seconds, unless `DELIVERY_MAX_DELAY` says.
pub const DEFAULT_MAX_DELAY: u32 = 60;
/// The rate limiter's period, in seconds, unless `RATE_LIMIT_PERIOD` says (production's).
pub const DEFAULT_RATE_LIMIT_PERIOD: u32 = 60;
const TURNSTILE_SECRET: &str = "TURNSTILE_SECRET";

pub struct Config {
    pub api_key: ApiKey,
    /// CLOSEM's base URL without query or fragment; forward.rs adds `?m=api&auth=`.
    pub base_url: String,
    pub timezone: String,
    pub zone: Zone,
    pub forms: Forms,
    /// The operators' bearer token; without it the admin routes do not exist.
    pub admin_token: Option<AdminToken>,
    /// Cap of the exponential delay between delivery attempts, in seconds.
    pub max_delay: u32,
    /// The `TURNSTILE_SECRET` secret; required when a profile has a Turnstile site key.
    pub turnstile_secret: Option<TurnstileSecret>,
    /// Where Turnstile tokens are verified (`TURNSTILE_VERIFY_URL`; Cloudflare's siteverify).
    pub turnstile_verify_url: String,
    /// Whether the `RATE_LIMITER` binding exists; without it submissions are not rate limited.
    pub rate_limiter: bool,
    /// `RATE_LIMIT_PERIOD`: the limiter's period in seconds (10 or 60, as in wrangler.toml),
    /// sent as `Retry-After` with a 429.
    pub rate_limit_period: u32,
    /// `LEDGER_SHARDS`: how many ledger objects new submissions spread over.
    pub shards: u16,
    /// `LEDGER_SHARDS_PREVIOUS`: the count before the last change, while resubmissions of older
    /// submissions may still arrive (ledger/shard.rs).
    pub previous_shards: Option<u16>,
    /// `RETENTION_DAYS`: final rows keep their fields this long.
    pub retention_days: u32,
    /// `SPAM_KEEP_DAYS`: quarantined spam is kept this long.
    pub spam_keep_days: u32,
}

impl Config {
    /// Every shard that may hold rows: the current count, or the previous one if larger.
    pub fn all_shards(&self) -> std::ops::Range<u16> {
        0..self.shards.max(self.previous_shards.unwrap_or(0))
    }
}

/// A whole number of days from 1 to 3650.
pub fn days(text: &str) -> Option<u32> {
    text.trim()
        .parse()
        .ok()
        .filter(|days| (1..=3650).contains(days))
}

/// A shard count from 1 to [`MAX_SHARDS`](crate::ledger::shard::MAX_SHARDS).
fn shard_count(text: &str) -> Option<u16> {
    text.trim()
        .parse()
        .ok()
        .filter(|count| (1..=crate::ledger::shard::MAX_SHARDS).contains(count))
}

/// The `TURNSTILE_SECRET` secret. No Debug or Display, like [`ApiKey`].
pub struct TurnstileSecret(String);

impl TurnstileSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The `ADMIN_TOKEN` secret. No Debug or Display, like [`ApiKey`].
pub struct AdminToken(String);

impl AdminToken {
    /// Compares a presented token without stopping at the first differing byte.
    pub fn matches(&self, presented: &str) -> bool {
        let (given, expected) = (presented.as_bytes(), self.0.as_bytes());
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |difference, (left, right)| difference | (left ^ right))
                == 0
    }
}

/// The CLOSEM API key. No Debug or Display: it cannot end up in a log line by accident.
pub struct ApiKey(String);

impl ApiKey {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// One thing wrong with the bindings: which binding (or FORMS path) and what to do.
#[derive(Debug, Clone)]
pub struct Problem {
    pub binding: String,
    pub message: String,
}

impl Problem {
    fn new(binding: &str, message: impl Into<String>) -> Problem {
        Problem {
            binding: binding.to_string(),
            message: message.into(),
        }
    }
}

pub fn load(env: &Env) -> Result<Config, Vec<Problem>> {
    let mut problems = Vec::new();

    let api_key = match secret(env, "CLOSEM_API_KEY") {
        Some(secret) if !secret.is_empty() => Some(ApiKey(secret)),
        _ => {
            problems.push(Problem::new(
                "CLOSEM_API_KEY",
                "the secret is not set: run `wrangler secret put CLOSEM_API_KEY` (or add it to .dev.vars)",
            ));
            None
        }
    };

    let base_text =
        string_var(env, "CLOSEM_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let base_url = match base_url(&base_text) {
        Some(url) => Some(url),
        None => {
            problems.push(Problem::new(
                "CLOSEM_BASE_URL",
                format!("must be an http(s) URL like {DEFAULT_BASE_URL}"),
            ));
            None
        }
    };

    let timezone =
        string_var(env, "CLOSEM_TIMEZONE").unwrap_or_else(|| DEFAULT_TIMEZONE.to_string());
    let zone = Zone::new(timezone.trim());
    if zone.is_none() {
        problems.push(Problem::new(
            "CLOSEM_TIMEZONE",
            format!(
                "`{}` is not an IANA timezone name like America/New_York",
                timezone.chars().take(64).collect::<String>()
            ),
        ));
    }

    let forms =
        match forms_json(env) {
            None => Some(Forms::default()),
            Some(json) => match Forms::from_json_str(&json) {
                Ok(forms) => Some(forms),
                Err(errors) => {
                    problems.extend(errors.into_iter().map(|error| {
                        Problem::new(&format!("FORMS.{}", error.path), error.message)
                    }));
                    None
                }
            },
        };

    // Durable delivery needs both; without them no submission could be accepted.
    for (name, kind) in [
        (crate::queue::BINDING, "a queue producer"),
        (
            crate::ledger::BINDING,
            "a Durable Object namespace of class Ledger",
        ),
    ] {
        if binding(env, name).is_none() {
            problems.push(Problem::new(
                name,
                format!(
                    "the binding is missing: declare {kind} named {name} (see edge/wrangler.toml)"
                ),
            ));
        }
    }

    let admin_token = match secret(env, "ADMIN_TOKEN") {
        Some(token) => {
            if token.is_empty() {
                None
            } else if token.len() < 16 {
                problems.push(Problem::new(
                    "ADMIN_TOKEN",
                    "the secret is shorter than 16 characters: use a long random value",
                ));
                None
            } else {
                Some(AdminToken(token))
            }
        }
        None => None,
    };

    let max_delay = match string_var(env, "DELIVERY_MAX_DELAY") {
        None => Some(DEFAULT_MAX_DELAY),
        Some(text) => match text.trim().parse::<u32>() {
            Ok(seconds) if (1..=43_200).contains(&seconds) => Some(seconds),
            _ => {
                problems.push(Problem::new(
                    "DELIVERY_MAX_DELAY",
                    "must be a whole number of seconds from 1 to 43200 (the queue's longest delay)",
                ));
                None
            }
        },
    };

    let turnstile_secret = secret(env, TURNSTILE_SECRET)
        .filter(|secret| !secret.is_empty())
        .map(TurnstileSecret);
    if let Some(forms) = &forms {
        let needing: Vec<&str> = forms
            .iter()
            .filter(|(_, profile)| profile.spam().turnstile_site_key.is_some())
            .map(|(id, _)| id)
            .collect();
        if !needing.is_empty() && turnstile_secret.is_none() {
            problems.push(Problem::new(
                TURNSTILE_SECRET,
                format!(
                    "the secret is not set but {} {} a turnstile_site_key: run `wrangler secret put {TURNSTILE_SECRET}` with the site's Turnstile secret key",
                    needing.join(", "),
                    if needing.len() == 1 { "has" } else { "have" },
                ),
            ));
        }
    }
    let verify_text = string_var(env, "TURNSTILE_VERIFY_URL")
        .unwrap_or_else(|| crate::turnstile::DEFAULT_VERIFY_URL.to_string());
    let turnstile_verify_url = self::base_url(&verify_text);
    if turnstile_verify_url.is_none() {
        problems.push(Problem::new(
            "TURNSTILE_VERIFY_URL",
            format!(
                "must be an http(s) URL like {}",
                crate::turnstile::DEFAULT_VERIFY_URL
            ),
        ));
    }

    let rate_limit_period = match string_var(env, "RATE_LIMIT_PERIOD") {
        None => Some(DEFAULT_RATE_LIMIT_PERIOD),
        Some(text) => match text.trim() {
            "10" => Some(10),
            "60" => Some(60),
            _ => {
                problems.push(Problem::new(
                    "RATE_LIMIT_PERIOD",
                    "must be 10 or 60, the period of the RATE_LIMITER binding in seconds",
                ));
                None
            }
        },
    };
    let rate_limiter = binding(env, crate::ratelimit::BINDING).is_some();

    let shards_problem = format!(
        "must be a whole number from 1 to {}",
        crate::ledger::shard::MAX_SHARDS
    );
    let shards = match string_var(env, "LEDGER_SHARDS") {
        None => Some(crate::ledger::shard::DEFAULT_SHARDS),
        Some(text) => shard_count(&text).or_else(|| {
            problems.push(Problem::new("LEDGER_SHARDS", shards_problem.clone()));
            None
        }),
    };
    let previous_shards = match string_var(env, "LEDGER_SHARDS_PREVIOUS") {
        None => None,
        Some(text) => {
            let count = shard_count(&text);
            if count.is_none() {
                problems.push(Problem::new("LEDGER_SHARDS_PREVIOUS", shards_problem));
            }
            count
        }
    };
    let mut days_var = |name: &str, default: u32| match string_var(env, name) {
        None => default,
        Some(text) => days(&text).unwrap_or_else(|| {
            problems.push(Problem::new(
                name,
                "must be a whole number of days from 1 to 3650",
            ));
            default
        }),
    };
    let retention_days = days_var("RETENTION_DAYS", crate::ledger::DEFAULT_RETENTION_DAYS);
    let spam_keep_days = days_var("SPAM_KEEP_DAYS", crate::ledger::DEFAULT_SPAM_KEEP_DAYS);

    match (
        api_key,
        base_url,
        zone,
        forms,
        max_delay,
        turnstile_verify_url,
        rate_limit_period,
        shards,
    ) {
        (
            Some(api_key),
            Some(base_url),
            Some(zone),
            Some(forms),
            Some(max_delay),
            Some(turnstile_verify_url),
            Some(rate_limit_period),
            Some(shards),
        ) if problems.is_empty() => Ok(Config {
            api_key,
            base_url,
            timezone: timezone.trim().to_string(),
            zone,
            forms,
            admin_token,
            max_delay,
            turnstile_secret,
            turnstile_verify_url,
            rate_limiter,
            rate_limit_period,
            shards,
            previous_shards,
            retention_days,
            spam_keep_days,
        }),
        _ => Err(problems),
    }
}

fn binding(env: &Env, name: &str) -> Option<JsValue> {
    let value = js_sys::Reflect::get(env.as_ref(), &JsValue::from_str(name)).ok()?;
    (!value.is_undefined() && !value.is_null()).then_some(value)
}

/// A secret (a string binding), trimmed.
fn secret(env: &Env, name: &str) -> Option<String> {
    Some(binding(env, name)?.as_string()?.trim().to_string())
}

fn string_var(env: &Env, name: &str) -> Option<String> {
    binding(env, name)?
        .as_string()
        .filter(|text| !text.trim().is_empty())
}

/// FORMS arrives as an object (wrangler.toml `[vars]`) or as a string of JSON (`.dev.vars`,
/// `--var`); either way shared/ parses the JSON text.
fn forms_json(env: &Env) -> Option<String> {
    let value = binding(env, "FORMS")?;
    if let Some(text) = value.as_string() {
        return Some(text);
    }
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

/// Checks CLOSEM_BASE_URL without a URL parser (the `url` crate's IDNA tables would double the
/// worker's size): `http(s)://host[:port][/path]`, with any query or fragment dropped.
pub fn base_url(text: &str) -> Option<String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..host_end];
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return None;
    }
    let end = text.find(['?', '#']).unwrap_or(text.len());
    let mut url = text[..end].to_string();
    if host_end == rest.len() || rest[host_end..].starts_with(['?', '#']) {
        url.push('/');
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::{base_url, AdminToken};

    #[test]
    fn admin_tokens_match_exactly() {
        let token = AdminToken("0123456789abcdef".to_string());
        assert!(token.matches("0123456789abcdef"));
        assert!(!token.matches("0123456789abcdeF"));
        assert!(!token.matches("0123456789abcde"));
        assert!(!token.matches("0123456789abcdef0"));
        assert!(!token.matches(""));
    }

    #[test]
    fn base_urls_are_checked_and_cleaned() {
        let cases = [
            ("https://app.closem.ai/", Some("https://app.closem.ai/")),
            ("https://app.closem.ai", Some("https://app.closem.ai/")),
            (" http://127.0.0.1:8790/ ", Some("http://127.0.0.1:8790/")),
            (
                "https://app.closem.ai/?m=api&auth=x",
                Some("https://app.closem.ai/"),
            ),
            ("https://host/api/v1", Some("https://host/api/v1")),
            ("ftp://host/", None),
            ("https:///path", None),
            ("https://bad host/", None),
            ("app.closem.ai", None),
        ];
        for (input, expected) in cases {
            assert_eq!(base_url(input).as_deref(), expected, "{input}");
        }
    }
}
