//! The edge's form profiles as JSON (the forms file and the `FORMS` variable): form id -> profile,
//! every mistake reported with its path, and the rule for which source wins.

use core::fmt;

use serde_json::{Map, Value};

use crate::attribution::{self, Rule, Settings};
use crate::field::{Field, Mode};
use crate::ids::{Id, IdList};
use crate::phone::{Country, PhoneRule, COUNTRIES};
use crate::profile::{Forms, Profile, Spam, Unmapped};
use crate::value::MAX_LONG_TEXT;

/// One problem in the configuration, e.g. `contact.sequence_id: required for runsequence`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ConfigError {
    /// Dotted path to the offending value, e.g. `contact.fields.your-email`; empty for the whole.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

const PROFILE_KEYS: [&str; 16] = [
    "mode",
    "upsert",
    "tags",
    "contact_lists",
    "sequence_id",
    "fields",
    "required",
    "allowed_origins",
    "redirect",
    "unmapped",
    "strict",
    "appointment_note",
    "spam",
    "phone",
    "default_country",
    "attribution",
];
const SPAM_KEYS: [&str; 5] = [
    "honeypot",
    "min_fill_ms",
    "turnstile_site_key",
    "turnstile_action",
    "turnstile_hostnames",
];
/// Turnstile's own limit on an action's length.
const MAX_TURNSTILE_ACTION: usize = 32;
const MAX_FILL_MS: u64 = 3_600_000;

impl Forms {
    /// Accepts the JSON object itself or a JSON string containing it, as Worker variables
    /// arrive either way.
    pub fn from_json_str(text: &str) -> Result<Forms, Vec<ConfigError>> {
        let value: Value = serde_json::from_str(text).map_err(|error| {
            vec![error_at(
                String::new(),
                format!("FORMS is not valid JSON: {error}"),
            )]
        })?;
        Forms::from_value(value)
    }

    /// Like [`Forms::from_json_str`], for an already parsed value (object, or string holding one).
    pub fn from_value(value: Value) -> Result<Forms, Vec<ConfigError>> {
        let value = match value {
            Value::String(inner) => serde_json::from_str(&inner).map_err(|error| {
                vec![error_at(
                    String::new(),
                    format!("FORMS string does not hold valid JSON: {error}"),
                )]
            })?,
            other => other,
        };
        Forms::from_parsed(value)
    }

    /// Like [`Forms::from_value`] for a value that is the object itself (a string is not read as
    /// JSON again): for callers that parse JSON their own way, e.g. the Worker with the runtime's
    /// `JSON.parse`, so that serde_json's parser is not linked in.
    pub fn from_parsed(value: Value) -> Result<Forms, Vec<ConfigError>> {
        let Value::Object(forms) = value else {
            return Err(vec![error_at(
                String::new(),
                "FORMS must be a JSON object of form id -> profile".into(),
            )]);
        };
        let mut errors = Errors(Vec::new());
        let mut profiles = Vec::with_capacity(forms.len());
        for (id, profile) in &forms {
            if !valid_form_id(id) {
                errors.at(
                    id,
                    "form id must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
                );
            }
            if let Some(profile) = parse_profile(id, profile, &mut errors) {
                profiles.push((id.clone(), profile));
            }
        }
        if errors.0.is_empty() {
            Ok(Forms { profiles })
        } else {
            Err(errors.0)
        }
    }
}

/// The edge's profiles from both places they can live: the forms file bundled at build time
/// (`edge/forms.json`) and the `FORMS` variable.
#[derive(Clone, Debug, Default)]
pub struct Combined {
    pub forms: Forms,
    /// How many profiles came from the file and from the variable.
    pub from_file: usize,
    pub from_variable: usize,
    /// Form ids defined in both, where the file's profile was kept.
    pub shadowed: Vec<String>,
}

impl Forms {
    /// Both sources together. **The file wins**: a form id in both keeps the file's profile,
    /// which `cargo xtask check` validated before it shipped, while the variable can be changed
    /// in the dashboard without any check; the id is listed in [`Combined::shadowed`]. Every
    /// other form of the variable is added, so small setups can live in the variable alone.
    pub fn combine(file: Forms, variable: Forms) -> Combined {
        let (mut profiles, mut added) = (file.profiles, variable.profiles);
        let mut shadowed = Vec::new();
        added.retain(|(id, _)| {
            let known = profiles.iter().any(|(known, _)| known == id);
            if known {
                shadowed.push(id.clone());
            }
            !known
        });
        let (from_file, from_variable) = (profiles.len(), added.len());
        profiles.append(&mut added);
        Combined {
            forms: Forms { profiles },
            from_file,
            from_variable,
            shadowed,
        }
    }
}

fn error_at(path: String, message: String) -> ConfigError {
    ConfigError { path, message }
}

struct Errors(Vec<ConfigError>);

impl Errors {
    fn at(&mut self, path: &str, message: &str) {
        self.0.push(error_at(path.to_owned(), message.to_owned()));
    }
}

fn valid_form_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// One profile, in named steps; each step reports what it finds wrong and returns what it could
/// read, so every mistake in the profile is listed, not only the first.
fn parse_profile(id: &str, value: &Value, errors: &mut Errors) -> Option<Profile> {
    let Value::Object(object) = value else {
        errors.at(id, "profile must be a JSON object with at least a mode");
        return None;
    };
    let at = Keys { id, object };
    let before = errors.0.len();
    unknown_keys(object, &PROFILE_KEYS, id, errors);
    let mode = at.mode(errors);
    at.mode_only_keys(mode, errors);
    let upsert = at.flag("upsert", errors);
    let strict = at.flag("strict", errors);
    let (tags, contact_lists, sequence_id) = at.targets(mode, errors);
    let fields = at.get("fields", errors, fields).unwrap_or_default();
    let required = at.get("required", errors, required).unwrap_or_default();
    let allowed_origins = at
        .get("allowed_origins", errors, origins)
        .unwrap_or_default();
    let redirect = at.redirect(errors);
    let unmapped = at.unmapped(mode, errors);
    let appointment_note = at.appointment_note(errors);
    let spam = at
        .get("spam", errors, |value, path, errors| {
            spam(value, path, &fields, errors)
        })
        .unwrap_or_default();
    let phone = phone_rule(object, id, errors);
    let attribution = at
        .get("attribution", errors, |value, path, errors| {
            attribution(value, path, mode, errors)
        })
        .flatten();
    let profile = Profile {
        mode: mode?,
        upsert,
        tags,
        contact_lists,
        sequence_id,
        fields,
        required,
        allowed_origins,
        redirect,
        unmapped,
        strict,
        appointment_note,
        spam,
        phone,
        attribution,
    };
    (errors.0.len() == before).then_some(profile)
}

/// The keys of one profile object, read by path `{id}.{key}`.
struct Keys<'a> {
    id: &'a str,
    object: &'a Map<String, Value>,
}

impl Keys<'_> {
    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.id)
    }

    /// Reads `key` with `read` (given its path) when it is present.
    fn get<T>(
        &self,
        key: &str,
        errors: &mut Errors,
        read: impl FnOnce(&Value, &str, &mut Errors) -> T,
    ) -> Option<T> {
        let value = self.object.get(key)?;
        Some(read(value, &self.path(key), errors))
    }

    fn flag(&self, key: &str, errors: &mut Errors) -> bool {
        self.get(key, errors, boolean).unwrap_or(false)
    }

    fn mode(&self, errors: &mut Errors) -> Option<Mode> {
        let Some(value) = self.object.get("mode") else {
            errors.at(
                &self.path("mode"),
                "required: use addcontact, runsequence or scheduleappointment",
            );
            return None;
        };
        let mode = value.as_str().and_then(Mode::parse);
        if mode.is_none() {
            errors.at(
                &self.path("mode"),
                "unknown mode: use addcontact, runsequence or scheduleappointment",
            );
        }
        mode
    }

    /// Keys that only make sense in some modes are errors elsewhere: in runsequence and
    /// scheduleappointment, tags and lists are targets, so every submission would reach
    /// everyone carrying them.
    fn mode_only_keys(&self, mode: Option<Mode>, errors: &mut Errors) {
        let Some(mode) = mode else { return };
        const ONLY: [(&str, &[Mode]); 5] = [
            ("upsert", &[Mode::AddContact]),
            ("tags", &[Mode::AddContact]),
            ("contact_lists", &[Mode::AddContact]),
            ("sequence_id", &[Mode::AddContact, Mode::RunSequence]),
            ("appointment_note", &[Mode::ScheduleAppointment]),
        ];
        for (key, modes) in ONLY {
            if !self.object.contains_key(key) || modes.contains(&mode) {
                continue;
            }
            let names: Vec<&str> = modes.iter().map(|mode| mode.as_str()).collect();
            let mut message = format!("applies to {} profiles only", names.join(" and "));
            if key == "tags" || key == "contact_lists" {
                message.push_str(": here it would target every contact carrying it");
            }
            errors.0.push(error_at(self.path(key), message));
        }
    }

    /// Tags, contact lists and the sequence: what CLOSEM is told to do with the contact.
    fn targets(&self, mode: Option<Mode>, errors: &mut Errors) -> (IdList, IdList, Option<Id>) {
        let tags = self.get("tags", errors, id_list).unwrap_or_default();
        let lists = self
            .get("contact_lists", errors, id_list)
            .unwrap_or_default();
        let sequence = self.get("sequence_id", errors, sequence_id).flatten();
        if mode == Some(Mode::RunSequence) && !self.object.contains_key("sequence_id") {
            errors.at(&self.path("sequence_id"), "required for runsequence");
        }
        (tags, lists, sequence)
    }

    fn redirect(&self, errors: &mut Errors) -> Option<String> {
        self.get("redirect", errors, |value, path, errors| {
            let url = value.as_str().filter(|url| valid_redirect(url));
            if url.is_none() {
                errors.at(
                    path,
                    "use an absolute http or https URL without user or password",
                );
            }
            url.map(str::to_owned)
        })
        .flatten()
    }

    fn unmapped(&self, mode: Option<Mode>, errors: &mut Errors) -> Unmapped {
        self.get("unmapped", errors, |value, path, errors| {
            match value.as_str() {
                Some("drop") => Unmapped::Drop,
                Some("notes") => {
                    if mode.is_some_and(|mode| mode != Mode::AddContact) {
                        errors.at(path, "\"notes\" applies to addcontact profiles only");
                    }
                    Unmapped::Notes
                }
                _ => {
                    errors.at(path, "use \"drop\" or \"notes\"");
                    Unmapped::Drop
                }
            }
        })
        .unwrap_or_default()
    }

    fn appointment_note(&self, errors: &mut Errors) -> Option<String> {
        self.get("appointment_note", errors, |value, path, errors| {
            let note = value
                .as_str()
                .map(str::trim)
                .filter(|note| !note.is_empty() && note.chars().count() <= MAX_LONG_TEXT);
            if note.is_none() {
                errors.at(path, "use a non-empty text of at most 2000 characters");
            }
            note.map(str::to_owned)
        })
        .flatten()
    }
}

/// `phone`: `"north_american"` (the default, CLOSEM's documented formats) or `"international"`,
/// with an optional `default_country` (ISO 3166 alpha-2) for numbers written without `+`.
fn phone_rule(object: &Map<String, Value>, id: &str, errors: &mut Errors) -> PhoneRule {
    let default_country = object.get("default_country").and_then(|value| {
        let country = value.as_str().and_then(Country::parse);
        if country.is_none() {
            let known: Vec<&str> = COUNTRIES.iter().map(|plan| plan.iso()).collect();
            let message = format!(
                "use a country code of the phone table: {}",
                known.join(", ")
            );
            errors
                .0
                .push(error_at(format!("{id}.default_country"), message));
        }
        country
    });
    match object.get("phone").map(|value| value.as_str()) {
        None | Some(Some("north_american")) => {
            if object.contains_key("default_country") {
                errors.at(
                    &format!("{id}.default_country"),
                    "applies to \"phone\": \"international\" only",
                );
            }
            PhoneRule::NorthAmerican
        }
        Some(Some("international")) => PhoneRule::International { default_country },
        Some(_) => {
            errors.at(
                &format!("{id}.phone"),
                "use \"north_american\" or \"international\"",
            );
            PhoneRule::NorthAmerican
        }
    }
}

const ATTRIBUTION_KEYS: [&str; 2] = ["notes", "rules"];
const RULE_KEYS: [&str; 3] = ["when", "tags", "contact_lists"];

/// `attribution`: `true`, or `{"notes": bool (default true), "rules": [{"when": {"utm_source":
/// "google" or ["google", ...]}, "tags": [...], "contact_lists": [...]}]}`; addcontact only.
fn attribution(
    value: &Value,
    path: &str,
    mode: Option<Mode>,
    errors: &mut Errors,
) -> Option<Settings> {
    if mode.is_some_and(|mode| mode != Mode::AddContact) {
        errors.at(
            path,
            "applies to addcontact profiles only: only a new contact has notes and takes tags and lists",
        );
        return None;
    }
    let object = match value {
        Value::Bool(false) => return None,
        Value::Bool(true) => {
            return Some(Settings {
                notes: true,
                rules: Vec::new(),
            })
        }
        Value::Object(object) => object,
        _ => {
            errors.at(path, "use true, false or an object with notes and rules");
            return None;
        }
    };
    unknown_keys(object, &ATTRIBUTION_KEYS, path, errors);
    let notes = object
        .get("notes")
        .is_none_or(|value| boolean(value, &format!("{path}.notes"), errors));
    let mut rules = Vec::new();
    match object.get("rules") {
        None => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                if let Some(rule) =
                    attribution_rule(item, &format!("{path}.rules[{index}]"), errors)
                {
                    rules.push(rule);
                }
            }
        }
        Some(_) => errors.at(&format!("{path}.rules"), "use an array of rules"),
    }
    Some(Settings { notes, rules })
}

fn attribution_rule(value: &Value, path: &str, errors: &mut Errors) -> Option<Rule> {
    let Value::Object(object) = value else {
        errors.at(path, "use an object with when and tags or contact_lists");
        return None;
    };
    unknown_keys(object, &RULE_KEYS, path, errors);
    let when = conditions(object.get("when"), path, errors);
    let tags = object
        .get("tags")
        .map(|value| id_list(value, &format!("{path}.tags"), errors))
        .unwrap_or_default();
    let contact_lists = object
        .get("contact_lists")
        .map(|value| id_list(value, &format!("{path}.contact_lists"), errors))
        .unwrap_or_default();
    if tags.is_empty() && contact_lists.is_empty() {
        errors.at(path, "a rule adds tags, contact_lists or both");
    }
    Some(Rule {
        when,
        tags,
        contact_lists,
    })
}

/// A rule's `when`: parameter (or `ref`) -> one accepted value or several.
fn conditions(
    value: Option<&Value>,
    path: &str,
    errors: &mut Errors,
) -> Vec<(String, Vec<String>)> {
    let mut when = Vec::new();
    match value {
        Some(Value::Object(conditions)) if !conditions.is_empty() => {
            for (key, accepted) in conditions {
                let key_path = format!("{path}.when.{key}");
                let known =
                    attribution::PARAMETERS.contains(&key.as_str()) || key == attribution::REFERRER;
                if !known {
                    let message = format!(
                        "unknown parameter; expected one of {}, {}",
                        attribution::PARAMETERS.join(", "),
                        attribution::REFERRER
                    );
                    errors.0.push(error_at(key_path, message));
                    continue;
                }
                let values: Option<Vec<String>> = match accepted {
                    Value::String(text) => Some(vec![text.clone()]),
                    Value::Array(items) => items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect(),
                    _ => None,
                };
                match values.filter(|values| {
                    !values.is_empty() && values.iter().all(|value| !value.trim().is_empty())
                }) {
                    Some(values) => when.push((key.clone(), values)),
                    None => errors.at(&key_path, "use a value or an array of values"),
                }
            }
        }
        _ => errors.at(
            &format!("{path}.when"),
            "required: an object of parameter -> accepted value(s)",
        ),
    }
    when
}

fn boolean(value: &Value, path: &str, errors: &mut Errors) -> bool {
    value.as_bool().unwrap_or_else(|| {
        errors.at(path, "use true or false");
        false
    })
}

fn id_list(value: &Value, path: &str, errors: &mut Errors) -> IdList {
    const MESSAGE: &str = "use numeric ids, as an array or a comma-separated string";
    let parsed = match value {
        Value::String(text) => IdList::parse(text),
        Value::Array(items) => {
            let mut ids = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                match single_id(item) {
                    Some(id) => ids.push(id),
                    None => errors
                        .0
                        .push(error_at(format!("{path}[{index}]"), MESSAGE.to_owned())),
                }
            }
            IdList::from_ids(ids)
        }
        _ => {
            errors.at(path, MESSAGE);
            return IdList::default();
        }
    };
    parsed.unwrap_or_else(|kind| {
        let too_long = kind == crate::issue::IssueKind::TooLong;
        errors.at(
            path,
            if too_long {
                "list at most 100 ids"
            } else {
                MESSAGE
            },
        );
        IdList::default()
    })
}

fn single_id(value: &Value) -> Option<Id> {
    match value {
        Value::Number(number) => number.as_u64().map(Id::from),
        Value::String(text) => Id::parse(text).ok(),
        _ => None,
    }
}

fn sequence_id(value: &Value, path: &str, errors: &mut Errors) -> Option<Id> {
    let id = match value {
        Value::String(text) if text.contains(',') => {
            errors.at(
                path,
                "use one sequence id: CLOSEM runs one sequence per request",
            );
            return None;
        }
        other => single_id(other),
    };
    if id.is_none() {
        errors.at(path, "use a numeric sequence id");
    }
    id
}

fn closem_field(name: &Value, path: &str, errors: &mut Errors) -> Option<Field> {
    let Some(text) = name.as_str() else {
        errors.at(path, "use the name of a CLOSEM field, e.g. \"email\"");
        return None;
    };
    match Field::from_name(text) {
        None => {
            errors.0.push(error_at(
                path.to_owned(),
                format!("unknown CLOSEM field \"{text}\""),
            ));
            None
        }
        Some(field) if field.is_control() => {
            let message = format!(
                "\"{text}\" is a control field: set it in the profile, never from a form input"
            );
            errors.0.push(error_at(path.to_owned(), message));
            None
        }
        Some(field) => Some(field),
    }
}

fn fields(value: &Value, path: &str, errors: &mut Errors) -> Vec<(String, Field)> {
    let Value::Object(map) = value else {
        errors.at(path, "use an object of site input name -> CLOSEM field");
        return Vec::new();
    };
    let mut fields = Vec::with_capacity(map.len());
    for (site, target) in map {
        let entry_path = format!("{path}.{site}");
        if site.trim().is_empty() || site.starts_with("_closem") {
            errors.at(
                &entry_path,
                "site input names must be non-empty and not start with _closem",
            );
            continue;
        }
        if let Some(field) = closem_field(target, &entry_path, errors) {
            fields.push((site.clone(), field));
        }
    }
    fields
}

/// The items of the array at `path`; none, and `usage` as the error, when it is not one.
fn items<'a>(value: &'a Value, path: &str, usage: &str, errors: &mut Errors) -> &'a [Value] {
    match value {
        Value::Array(items) => items,
        _ => {
            errors.at(path, usage);
            &[]
        }
    }
}

fn required(value: &Value, path: &str, errors: &mut Errors) -> Vec<Field> {
    let mut required = Vec::new();
    let usage = "use an array of CLOSEM field names";
    for (index, item) in items(value, path, usage, errors).iter().enumerate() {
        if let Some(field) = closem_field(item, &format!("{path}[{index}]"), errors) {
            if !required.contains(&field) {
                required.push(field);
            }
        }
    }
    required
}

fn origins(value: &Value, path: &str, errors: &mut Errors) -> Vec<String> {
    let mut origins = Vec::new();
    let usage = "use an array of origins like \"https://example.com\"";
    for (index, item) in items(value, path, usage, errors).iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        match item.as_str() {
            Some("*") => errors.at(&item_path, "\"*\" is not allowed: list each origin"),
            Some(origin) if valid_origin(origin) => origins.push(origin.to_ascii_lowercase()),
            _ => errors.at(
                &item_path,
                "use an origin like \"https://example.com\" or \"http://localhost:8787\": no path, query or trailing slash",
            ),
        }
    }
    origins
}

fn spam(value: &Value, path: &str, fields: &[(String, Field)], errors: &mut Errors) -> Spam {
    let Value::Object(object) = value else {
        errors.at(
            path,
            "use an object with honeypot, min_fill_ms or turnstile_site_key (and turnstile_action, turnstile_hostnames)",
        );
        return Spam::default();
    };
    unknown_keys(object, &SPAM_KEYS, path, errors);
    let honeypot = object
        .get("honeypot")
        .and_then(|value| honeypot(value, path, fields, errors));
    let min_fill_ms = object.get("min_fill_ms").and_then(|value| {
        let ms = value.as_u64().filter(|&ms| ms <= MAX_FILL_MS);
        if ms.is_none() {
            errors.at(
                &format!("{path}.min_fill_ms"),
                "use a whole number of milliseconds up to 3600000",
            );
        }
        ms
    });
    let turnstile_site_key = object.get("turnstile_site_key").and_then(|value| {
        let key = value.as_str().filter(|key| {
            (1..=128).contains(&key.len()) && key.bytes().all(|byte| byte.is_ascii_graphic())
        });
        if key.is_none() {
            errors.at(
                &format!("{path}.turnstile_site_key"),
                "use the site key Cloudflare gave (visible ASCII, no spaces)",
            );
        }
        key.map(str::to_owned)
    });
    let needs_site_key = |key: &str, errors: &mut Errors| {
        if object.contains_key(key) && !object.contains_key("turnstile_site_key") {
            errors.at(
                &format!("{path}.{key}"),
                "applies only with turnstile_site_key: set the site key too",
            );
        }
    };
    needs_site_key("turnstile_action", errors);
    needs_site_key("turnstile_hostnames", errors);
    let turnstile_action = object
        .get("turnstile_action")
        .and_then(|value| turnstile_action(value, path, errors));
    let turnstile_hostnames = object
        .get("turnstile_hostnames")
        .map(|value| hostnames(value, &format!("{path}.turnstile_hostnames"), errors))
        .unwrap_or_default();
    Spam {
        honeypot,
        min_fill_ms,
        turnstile_site_key,
        turnstile_action,
        turnstile_hostnames,
    }
}

/// The honeypot's input name: non-empty, and neither a CLOSEM field nor a mapped input.
fn honeypot(
    value: &Value,
    path: &str,
    fields: &[(String, Field)],
    errors: &mut Errors,
) -> Option<String> {
    let name = value.as_str().filter(|name| !name.trim().is_empty());
    let collides = name.is_some_and(|name| {
        Field::from_name(name).is_some() || fields.iter().any(|(site, _)| site == name)
    });
    if name.is_none() || collides {
        errors.at(
            &format!("{path}.honeypot"),
            "use a non-empty input name that is not a CLOSEM field or mapped",
        );
        return None;
    }
    name.map(str::to_owned)
}

/// The Turnstile action: the characters and length Turnstile allows.
fn turnstile_action(value: &Value, path: &str, errors: &mut Errors) -> Option<String> {
    let action = value.as_str().filter(|action| {
        (1..=MAX_TURNSTILE_ACTION).contains(&action.len())
            && action
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
    });
    if action.is_none() {
        errors.at(
            &format!("{path}.turnstile_action"),
            "use 1-32 characters of A-Z, a-z, 0-9, _ and -, as Turnstile allows",
        );
    }
    action.map(str::to_owned)
}

/// Host names as Turnstile reports them: no scheme, port or path; stored lowercased.
fn hostnames(value: &Value, path: &str, errors: &mut Errors) -> Vec<String> {
    const MESSAGE: &str =
        "use a host name like \"www.example.com\": no scheme, port, path or wildcard";
    let Value::Array(items) = value else {
        errors.at(path, "use an array of host names like \"www.example.com\"");
        return Vec::new();
    };
    if items.is_empty() {
        errors.at(
            path,
            "list at least one host name, or leave the key out to use the allowed origins' hosts",
        );
    }
    let mut hosts = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(host) if host.len() <= 253 && !host.contains(':') && valid_authority(host) => {
                hosts.push(host.to_ascii_lowercase());
            }
            _ => errors
                .0
                .push(error_at(format!("{path}[{index}]"), MESSAGE.to_owned())),
        }
    }
    hosts
}

fn unknown_keys(object: &Map<String, Value>, known: &[&str], path: &str, errors: &mut Errors) {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            errors.0.push(error_at(
                format!("{path}.{key}"),
                format!("unknown key; expected one of {}", known.join(", ")),
            ));
        }
    }
}

/// `http(s)://host[:port]` and nothing more, as browsers send in the `Origin` header.
fn valid_origin(origin: &str) -> bool {
    let Some(rest) = strip_scheme(origin) else {
        return false;
    };
    valid_authority(rest)
}

/// An absolute http(s) URL whose authority is a plain host: userinfo could disguise the target.
fn valid_redirect(url: &str) -> bool {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some(rest) = strip_scheme(url) else {
        return false;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest.get(..end).is_some_and(valid_authority)
}

fn strip_scheme(url: &str) -> Option<&str> {
    ["https://", "http://"].into_iter().find_map(|scheme| {
        let head = url.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &url[scheme.len()..])
    })
}

fn valid_authority(authority: &str) -> bool {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((address, after)) = bracketed.split_once(']') else {
            return false;
        };
        let ipv6 = !address.is_empty()
            && address
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !ipv6 {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => ("ipv6", Some(port)),
                None => return false,
            },
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let port_ok = port.is_none_or(|port| {
        (1..=5).contains(&port.len())
            && port.bytes().all(|b| b.is_ascii_digit())
            && port
                .parse::<u32>()
                .is_ok_and(|port| (1..=65_535).contains(&port))
    });
    host_ok && port_ok
}
