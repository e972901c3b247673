//! The worker's bindings, and the forms file bundled by edge/entry.mjs, read once into a typed
//! `Config`, or the full list of what is wrong with them. Problems never include a secret's value.

use closem_shared::{Combined, Forms};
use wasm_bindgen::JsValue;
use worker::Env;

use crate::timezone::Zone;

pub(crate) const DEFAULT_BASE_URL: &str = "https://app.closem.ai/";
pub(crate) const DEFAULT_TIMEZONE: &str = "UTC";
/// Longest wait between two delivery attempts, in seconds, unless `DELIVERY_MAX_DELAY` says.
pub(crate) const DEFAULT_MAX_DELAY: u32 = 60;
/// The rate limiter's period, in seconds, unless `RATE_LIMIT_PERIOD` says (production's).
pub(crate) const DEFAULT_RATE_LIMIT_PERIOD: u32 = 60;
const TURNSTILE_SECRET: &str = "TURNSTILE_SECRET";

pub(crate) struct Config {
    pub(crate) api_key: ApiKey,
    /// CLOSEM's base URL without query or fragment; forward.rs adds `?m=api&auth=`.
    pub(crate) base_url: String,
    pub(crate) timezone: String,
    pub(crate) zone: Zone,
    pub(crate) forms: Forms,
    /// Where the profiles came from (logged once per isolate).
    pub(crate) form_sources: FormSources,
    /// The operators' bearer token; without it the admin routes do not exist.
    pub(crate) admin_token: Option<AdminToken>,
    /// Cap of the exponential delay between delivery attempts, in seconds.
    pub(crate) max_delay: u32,
    /// The `TURNSTILE_SECRET` secret; required when a profile has a Turnstile site key.
    pub(crate) turnstile_secret: Option<TurnstileSecret>,
    /// Where Turnstile tokens are verified (`TURNSTILE_VERIFY_URL`; Cloudflare's siteverify).
    pub(crate) turnstile_verify_url: String,
    /// Whether the `RATE_LIMITER` binding exists; without it submissions are not rate limited.
    pub(crate) rate_limiter: bool,
    /// `RATE_LIMIT_PERIOD`: the limiter's period in seconds (10 or 60, as in wrangler.jsonc),
    /// sent as `Retry-After` with a 429.
    pub(crate) rate_limit_period: u32,
    /// `LEDGER_SHARDS`: how many ledger objects new submissions spread over.
    pub(crate) shards: u16,
    /// `LEDGER_SHARDS_PREVIOUS`: the count before the last change, while resubmissions of older
    /// submissions may still arrive (ledger/shard.rs).
    pub(crate) previous_shards: Option<u16>,
    /// `RETENTION_DAYS`: final rows keep their fields this long.
    pub(crate) retention_days: u32,
    /// `SPAM_KEEP_DAYS`: quarantined spam is kept this long.
    pub(crate) spam_keep_days: u32,
}

/// How many profiles the forms file and the `FORMS` variable gave, and the ids defined in both
/// (the file's profile is kept: `Forms::combine`).
pub(crate) struct FormSources {
    pub(crate) file: usize,
    pub(crate) variable: usize,
    pub(crate) shadowed: Vec<String>,
}

impl Config {
    /// Every shard that may hold rows: the current count, or the previous one if larger.
    pub(crate) fn all_shards(&self) -> std::ops::Range<u16> {
        0..self.shards.max(self.previous_shards.unwrap_or(0))
    }
}

/// A whole number of days from 1 to 3650.
pub(crate) fn days(text: &str) -> Option<u32> {
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
pub(crate) struct TurnstileSecret(String);

impl TurnstileSecret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

/// The `ADMIN_TOKEN` secret. No Debug or Display, like [`ApiKey`].
pub(crate) struct AdminToken(String);

impl AdminToken {
    /// Compares a presented token without stopping at the first differing byte.
    pub(crate) fn matches(&self, presented: &str) -> bool {
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
pub(crate) struct ApiKey(String);

impl ApiKey {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

/// One thing wrong with the bindings: which binding (or FORMS path) and what to do.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub(crate) binding: String,
    pub(crate) message: String,
}

impl Problem {
    fn new(binding: &str, message: impl Into<String>) -> Problem {
        Problem {
            binding: binding.to_string(),
            message: message.into(),
        }
    }
}

/// Reads every binding once, in named steps. Each step records what is wrong with its bindings
/// and returns what it could read (a default where a value is unusable), so one call reports
/// every problem; the config exists only when there is none.
pub(crate) fn load(env: &Env) -> Result<Config, Vec<Problem>> {
    let mut read = Reader {
        env,
        problems: Vec::new(),
    };
    let api_key = read.api_key();
    let base_url = read.url("CLOSEM_BASE_URL", DEFAULT_BASE_URL);
    let (timezone, zone) = read.timezone();
    let forms = read.forms();
    read.delivery_bindings();
    let admin_token = read.admin_token();
    let max_delay = read.max_delay();
    let turnstile_secret = read.turnstile_secret(forms.as_ref().map(|forms| &forms.forms));
    let turnstile_verify_url =
        read.url("TURNSTILE_VERIFY_URL", crate::turnstile::DEFAULT_VERIFY_URL);
    let rate_limit_period = read.rate_limit_period();
    let shards = read.shards("LEDGER_SHARDS");
    let previous_shards = read.shards("LEDGER_SHARDS_PREVIOUS");
    let retention_days = read.days("RETENTION_DAYS", crate::ledger::DEFAULT_RETENTION_DAYS);
    let spam_keep_days = read.days("SPAM_KEEP_DAYS", crate::ledger::DEFAULT_SPAM_KEEP_DAYS);

    let (Some(api_key), Some(zone), Some(combined), true) =
        (api_key, zone, forms, read.problems.is_empty())
    else {
        return Err(read.problems);
    };
    Ok(Config {
        api_key,
        base_url,
        timezone,
        zone,
        forms: combined.forms,
        form_sources: FormSources {
            file: combined.from_file,
            variable: combined.from_variable,
            shadowed: combined.shadowed,
        },
        admin_token,
        max_delay,
        turnstile_secret,
        turnstile_verify_url,
        rate_limiter: binding(env, crate::ratelimit::BINDING).is_some(),
        rate_limit_period,
        shards: shards.unwrap_or(crate::ledger::shard::DEFAULT_SHARDS),
        previous_shards,
        retention_days,
        spam_keep_days,
    })
}

/// The bindings being read, and every problem found so far.
struct Reader<'a> {
    env: &'a Env,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn problem(&mut self, binding: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(binding, message));
    }

    fn api_key(&mut self) -> Option<ApiKey> {
        let key = secret(self.env, "CLOSEM_API_KEY").filter(|key| !key.is_empty());
        if key.is_none() {
            self.problem(
                "CLOSEM_API_KEY",
                "the secret is not set: run `wrangler secret put CLOSEM_API_KEY` (or add it to .dev.vars)",
            );
        }
        key.map(ApiKey)
    }

    /// An http(s) URL variable, cleaned by [`base_url`]; `default` when unset.
    fn url(&mut self, name: &str, default: &str) -> String {
        let text = string_var(self.env, name).unwrap_or_else(|| default.to_string());
        base_url(&text).unwrap_or_else(|| {
            self.problem(name, format!("must be an http(s) URL like {default}"));
            default.to_string()
        })
    }

    fn timezone(&mut self) -> (String, Option<Zone>) {
        let text =
            string_var(self.env, "CLOSEM_TIMEZONE").unwrap_or_else(|| DEFAULT_TIMEZONE.to_string());
        let zone = Zone::new(text.trim());
        if zone.is_none() {
            self.problem(
                "CLOSEM_TIMEZONE",
                format!(
                    "`{}` is not an IANA timezone name like America/New_York",
                    text.chars().take(64).collect::<String>()
                ),
            );
        }
        (text.trim().to_string(), zone)
    }

    /// The bundled forms file and the `FORMS` variable, each parsed by shared/'s config parser,
    /// then combined by its rule (the file wins). Problems name the source and the path.
    fn forms(&mut self) -> Option<Combined> {
        let file = self.profiles(FORMS_FILE, forms_file());
        let variable = self.profiles("FORMS", json_text(binding(self.env, "FORMS")));
        Some(Forms::combine(file?, variable?))
    }

    fn profiles(&mut self, source: &str, json: Option<String>) -> Option<Forms> {
        let Some(json) = json else {
            return Some(Forms::default());
        };
        forms_value(source, &json)
            .map_err(|errors| {
                for error in errors {
                    self.problem(&format!("{source}.{}", error.path), error.message);
                }
            })
            .ok()
    }

    /// Durable delivery needs both; without them no submission could be accepted.
    fn delivery_bindings(&mut self) {
        for (name, kind) in [
            (crate::queue::BINDING, "a queue producer"),
            (
                crate::ledger::BINDING,
                "a Durable Object namespace of class Ledger",
            ),
        ] {
            if binding(self.env, name).is_none() {
                self.problem(
                    name,
                    format!(
                        "the binding is missing: declare {kind} named {name} (see edge/wrangler.jsonc)"
                    ),
                );
            }
        }
    }

    fn admin_token(&mut self) -> Option<AdminToken> {
        let token = secret(self.env, "ADMIN_TOKEN").filter(|token| !token.is_empty())?;
        if token.len() < 16 {
            self.problem(
                "ADMIN_TOKEN",
                "the secret is shorter than 16 characters: use a long random value",
            );
            return None;
        }
        Some(AdminToken(token))
    }

    fn max_delay(&mut self) -> u32 {
        let Some(text) = string_var(self.env, "DELIVERY_MAX_DELAY") else {
            return DEFAULT_MAX_DELAY;
        };
        match text.trim().parse::<u32>() {
            Ok(seconds) if (1..=43_200).contains(&seconds) => seconds,
            _ => {
                self.problem(
                    "DELIVERY_MAX_DELAY",
                    "must be a whole number of seconds from 1 to 43200 (the queue's longest delay)",
                );
                DEFAULT_MAX_DELAY
            }
        }
    }

    /// The Turnstile secret, required as soon as one profile has a site key.
    fn turnstile_secret(&mut self, forms: Option<&Forms>) -> Option<TurnstileSecret> {
        let secret = secret(self.env, TURNSTILE_SECRET)
            .filter(|secret| !secret.is_empty())
            .map(TurnstileSecret);
        let needing: Vec<&str> = forms
            .into_iter()
            .flat_map(Forms::iter)
            .filter(|(_, profile)| profile.spam().turnstile_site_key.is_some())
            .map(|(id, _)| id)
            .collect();
        if !needing.is_empty() && secret.is_none() {
            self.problem(
                TURNSTILE_SECRET,
                format!(
                    "the secret is not set but {} {} a turnstile_site_key: run `wrangler secret put {TURNSTILE_SECRET}` with the site's Turnstile secret key",
                    needing.join(", "),
                    if needing.len() == 1 { "has" } else { "have" },
                ),
            );
        }
        secret
    }

    fn rate_limit_period(&mut self) -> u32 {
        match string_var(self.env, "RATE_LIMIT_PERIOD")
            .as_deref()
            .map(str::trim)
        {
            None => DEFAULT_RATE_LIMIT_PERIOD,
            Some("10") => 10,
            Some("60") => 60,
            Some(_) => {
                self.problem(
                    "RATE_LIMIT_PERIOD",
                    "must be 10 or 60, the period of the RATE_LIMITER binding in seconds",
                );
                DEFAULT_RATE_LIMIT_PERIOD
            }
        }
    }

    /// A shard count variable; `None` when unset (or unusable, which is a problem).
    fn shards(&mut self, name: &str) -> Option<u16> {
        let text = string_var(self.env, name)?;
        let count = shard_count(&text);
        if count.is_none() {
            let message = format!(
                "must be a whole number from 1 to {}",
                crate::ledger::shard::MAX_SHARDS
            );
            self.problem(name, message);
        }
        count
    }

    fn days(&mut self, name: &str, default: u32) -> u32 {
        let Some(text) = string_var(self.env, name) else {
            return default;
        };
        days(&text).unwrap_or_else(|| {
            self.problem(name, "must be a whole number of days from 1 to 3650");
            default
        })
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

/// FORMS arrives as an object (wrangler.jsonc `vars`) or as a string of JSON (`.dev.vars`,
/// `--var`); either way shared/ parses the JSON text.
fn json_text(value: Option<JsValue>) -> Option<String> {
    let value = value?;
    if let Some(text) = value.as_string() {
        return Some(text);
    }
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

/// The name problems in the bundled forms file carry (`forms.json.<form>.<key>`).
const FORMS_FILE: &str = "forms.json";

/// The forms file, as edge/entry.mjs bundled it: the entry imports `forms.json` and leaves it on
/// the global object before the first request (a global, not a wasm static, so it outlives a
/// re-instantiated module). Absent when the worker was started without the entry.
fn forms_file() -> Option<String> {
    // Unset, the global is `undefined`, which JSON.stringify leaves undefined: no file.
    json_text(js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(FORMS_FILE_GLOBAL)).ok())
}

/// The global edge/entry.mjs sets; the tests' harness writes the same entry.
const FORMS_FILE_GLOBAL: &str = "CLOSEM_FORMS_FILE";

/// Checks CLOSEM_BASE_URL without a URL parser (the `url` crate's IDNA tables would double the
/// worker's size): `http(s)://host[:port][/path]`, with any query or fragment dropped.
pub(crate) fn base_url(text: &str) -> Option<String> {
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

/// Profiles (`source`: the forms file or `FORMS`) read by the runtime's JSON parser
/// (`json::read`, which keeps serde_json's parser out of the bundle), as the object itself or a
/// string holding it (Worker variables arrive either way), then checked by shared/'s config rules.
fn forms_value(source: &str, text: &str) -> Result<Forms, Vec<closem_shared::ConfigError>> {
    let not_json = |what: &str, error: String| {
        vec![closem_shared::ConfigError {
            path: String::new(),
            message: format!("{source} {what}: {error}"),
        }]
    };
    let value = crate::json::read(text).map_err(|error| not_json("is not valid JSON", error))?;
    let value = match value {
        serde_json::Value::String(inner) => crate::json::read(&inner)
            .map_err(|error| not_json("as a string does not hold valid JSON", error))?,
        other => other,
    };
    Forms::from_parsed(value)
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
