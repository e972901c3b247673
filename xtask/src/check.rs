//! `cargo xtask check [FILE]`: validates the form configuration before it can ship: the forms file
//! (edge/forms.json unless FILE is given) and a `FORMS` variable in edge/wrangler.jsonc, with
//! shared/'s own parser (the one the edge runs), each problem named by file, line, form and key.
//! `build-edge` (and so `wrangler deploy`, whose build command is `cargo xtask build`) runs it first.

use std::path::{Path, PathBuf};

use closem_shared::{Combined, ConfigError, Forms};
use serde_json::Value;

use crate::jsonc;
use crate::process::{root, Outcome};

/// The committed forms file, bundled into the worker by edge/entry.mjs.
pub(crate) const FORMS_FILE: &str = "edge/forms.json";
/// The worker's configuration, whose `vars` may hold a `FORMS` variable too.
pub(crate) const WRANGLER_CONFIG: &str = "edge/wrangler.jsonc";

/// `cargo xtask check [FILE]`.
pub(crate) fn run(args: &[String]) -> Outcome {
    let file = args.first().map(PathBuf::from);
    verify(file.as_deref()).map(|_| ())
}

/// Checks the configuration and prints one line saying what it holds; the error lists every
/// problem, one per line.
pub(crate) fn verify(file: Option<&Path>) -> Outcome<Combined> {
    let file = file.map_or_else(|| root().join(FORMS_FILE), Path::to_path_buf);
    let combined = load(&file, &root().join(WRANGLER_CONFIG)).map_err(|problems| {
        format!(
            "the form configuration has {} problem{}:\n{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.join("\n")
        )
    })?;
    println!(
        "    forms: {} profile{} in {}, {} more in FORMS: valid",
        combined.from_file,
        if combined.from_file == 1 { "" } else { "s" },
        shown(&file),
        combined.from_variable
    );
    Ok(combined)
}

/// The forms file and the `FORMS` variable of `config`, combined by shared/'s rule, or every
/// problem as `path:line: form "id", key "key": message`.
pub(crate) fn load(file: &Path, config: &Path) -> Result<Combined, Vec<String>> {
    let mut problems = Vec::new();
    let from_file = read_forms_file(file, &mut problems);
    let from_variable = read_variable(config, &mut problems);
    let (Some(file_forms), Some((variable, located))) = (from_file, from_variable) else {
        return Err(problems);
    };
    let combined = Forms::combine(file_forms, variable);
    for id in &combined.shadowed {
        problems.push(located.problem(
            &format!("vars.FORMS.{id}"),
            &format!(
                "form \"{id}\" is also in {}, whose profile wins: keep it in one place",
                shown(file)
            ),
        ));
    }
    if problems.is_empty() {
        Ok(combined)
    } else {
        Err(problems)
    }
}

fn read_forms_file(file: &Path, problems: &mut Vec<String>) -> Option<Forms> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            problems.push(format!("{}: cannot read it: {error}", shown(file)));
            return None;
        }
    };
    let located = Located::parse(shown(file), &text, "", problems)?;
    if !located.value.is_object() {
        problems.push(format!(
            "{}:1: the file must be a JSON object of form id -> profile",
            located.name
        ));
        return None;
    }
    located.forms(located.value.clone(), "", problems)
}

/// The `FORMS` variable of the wrangler configuration, if it has one (an empty set if not), and
/// the configuration's positions for reporting what else is wrong.
fn read_variable(config: &Path, problems: &mut Vec<String>) -> Option<(Forms, Located)> {
    let Ok(text) = std::fs::read_to_string(config) else {
        // No configuration beside the file (a FILE checked on its own): nothing to add.
        return Some((Forms::default(), Located::empty(shown(config))));
    };
    let text = jsonc::without_comments(&text);
    let located = Located::parse(shown(config), &text, "vars.FORMS", problems)?;
    let forms = match located.value.pointer("/vars/FORMS") {
        None => Forms::default(),
        Some(value) => located.forms(value.clone(), "vars.FORMS", problems)?,
    };
    Some((forms, located))
}

/// A parsed JSON text with the line of every key, for messages that point into it.
struct Located {
    name: String,
    value: Value,
    positions: jsonc::Positions,
    /// The path of the forms object in the text: empty for a forms file, `vars.FORMS` in the
    /// wrangler configuration.
    forms_at: &'static str,
}

impl Located {
    fn empty(name: String) -> Located {
        Located {
            name,
            value: Value::Null,
            positions: jsonc::Positions::default(),
            forms_at: "",
        }
    }

    /// Parses `text`; a syntax error or a key given twice is a problem (JSON parsers keep only
    /// the last of two equal keys, so the first would be silently ignored).
    fn parse(
        name: String,
        text: &str,
        forms_at: &'static str,
        problems: &mut Vec<String>,
    ) -> Option<Located> {
        let value: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(error) => {
                let reason = error.to_string();
                let reason = reason.split(" at line ").next().unwrap_or(&reason);
                problems.push(format!(
                    "{name}:{}:{}: not valid JSON: {reason}",
                    error.line(),
                    error.column()
                ));
                return None;
            }
        };
        let positions = jsonc::Positions::of(text);
        let located = Located {
            name,
            value,
            positions,
            forms_at,
        };
        let before = problems.len();
        for (path, first, again) in &located.positions.duplicates {
            problems.push(located.problem_at(
                path,
                *again,
                &format!(
                    "given twice (first at line {first}): JSON keeps only the last, remove one"
                ),
            ));
        }
        (problems.len() == before).then_some(located)
    }

    /// Profiles parsed by shared/'s config parser from the value at `prefix` (a path into this
    /// text, empty for the whole), each error placed on its line.
    fn forms(&self, value: Value, prefix: &str, problems: &mut Vec<String>) -> Option<Forms> {
        Forms::from_value(value)
            .map_err(|errors| {
                // In the order of the text (the parser reads forms in sorted order).
                let mut placed: Vec<(usize, String)> = errors
                    .into_iter()
                    .map(|ConfigError { path, message }| {
                        let full = match (prefix.is_empty(), path.is_empty()) {
                            (true, _) => path,
                            (false, true) => prefix.to_owned(),
                            (false, false) => format!("{prefix}.{path}"),
                        };
                        let line = self.positions.line(&full);
                        (line, self.problem_at(&full, line, &message))
                    })
                    .collect();
                placed.sort_by_key(|(line, _)| *line);
                problems.extend(placed.into_iter().map(|(_, problem)| problem));
            })
            .ok()
    }

    /// `name:line: form "id", key "key": message` for an error at `path`.
    fn problem(&self, path: &str, message: &str) -> String {
        let line = self.positions.line(path);
        self.problem_at(path, line, message)
    }

    fn problem_at(&self, path: &str, line: usize, message: &str) -> String {
        let place = match self.form_and_key(path) {
            (Some(form), "") => format!(" form \"{form}\":"),
            (Some(form), key) => format!(" form \"{form}\", key \"{key}\":"),
            (None, "") => String::new(),
            (None, key) => format!(" {key}:"),
        };
        format!("{}:{line}:{place} {message}", self.name)
    }

    /// Splits a path into the form id and the key inside its profile. Form ids may hold dots
    /// when they are invalid, so the longest id of the forms object that the path starts with
    /// wins.
    fn form_and_key<'p>(&self, path: &'p str) -> (Option<&'p str>, &'p str) {
        let relative = if self.forms_at.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(self.forms_at)
                .and_then(|rest| rest.strip_prefix('.'))
        };
        let pointer = format!("/{}", self.forms_at.replace('.', "/"));
        let forms = if self.forms_at.is_empty() {
            self.value.as_object()
        } else {
            self.value.pointer(&pointer).and_then(Value::as_object)
        };
        let (Some(relative), Some(forms)) = (relative, forms) else {
            return (None, path);
        };
        let form = forms
            .keys()
            .filter(|id| {
                relative.strip_prefix(id.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                })
            })
            .max_by_key(|id| id.len());
        match form {
            Some(id) => {
                let rest = &relative[id.len()..];
                (
                    Some(&relative[..id.len()]),
                    rest.strip_prefix('.').unwrap_or(rest),
                )
            }
            None => (None, relative),
        }
    }
}

/// A path as the user knows it: relative to the workspace when inside it.
fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::load;
    use std::path::PathBuf;

    /// Writes `forms` (and a wrangler configuration, if given) to a fresh directory and checks
    /// them; the problems come back with the directory's path left out.
    fn check(forms: &str, config: Option<&str>) -> Result<usize, Vec<String>> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "closem-check-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("forms.json");
        std::fs::write(&file, forms).expect("write forms");
        let wrangler = dir.join("wrangler.jsonc");
        if let Some(config) = config {
            std::fs::write(&wrangler, config).expect("write config");
        }
        let outcome = load(&file, &wrangler);
        let _ = std::fs::remove_dir_all(&dir);
        let prefix = format!("{}/", dir.display());
        outcome
            .map(|combined| combined.forms.len())
            .map_err(|problems| {
                problems
                    .into_iter()
                    .map(|problem| problem.replace(&prefix, ""))
                    .collect()
            })
    }

    fn problems(forms: &str) -> Vec<String> {
        check(forms, None).expect_err("the check must fail")
    }

    /// `count` profiles in every mode, as a site with many forms writes them.
    pub(crate) fn many_forms(count: usize) -> String {
        let profiles: Vec<String> = (0..count)
            .map(|index| {
                let body = match index % 3 {
                    0 => format!(
                        r#""mode": "addcontact", "tags": [{}], "fields": {{ "your-email": "email", "your-name": "fullname" }}, "allowed_origins": ["https://site{index}.example.com"]"#,
                        index + 1
                    ),
                    1 => format!(r#""mode": "runsequence", "sequence_id": {}"#, index + 1),
                    _ => r#""mode": "scheduleappointment", "fields": { "when": "appointment_timestamp" }, "appointment_note": "call back""#.to_owned(),
                };
                format!("  \"form-{index}\": {{\n    {body}\n  }}")
            })
            .collect();
        format!("{{\n{}\n}}\n", profiles.join(",\n"))
    }

    #[test]
    fn a_good_file_passes_and_three_hundred_forms_fit() {
        assert_eq!(check(&many_forms(300), None), Ok(300));
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../edge/forms.json");
        let text = std::fs::read_to_string(committed).expect("edge/forms.json");
        assert!(check(&text, None).is_ok_and(|count| count >= 1));
    }

    #[test]
    fn each_broken_profile_is_named_by_line_form_and_key() {
        let text = r#"{
  "contact": {
    "mode": "addcontact",
    "fields": { "your-email": "emial" },
    "tags": "x1"
  },
  "guide": {
    "mode": "runsequence"
  },
  "bad id!": { "mode": "addcontact" },
  "booking": {
    "mode": "scheduleappointment",
    "colour": "red",
    "allowed_origins": ["https://ok.example.com", "https://bad.example.com/"]
  },
  "lost": "addcontact"
}"#;
        assert_eq!(
            problems(text),
            [
                r#"forms.json:4: form "contact", key "fields.your-email": unknown CLOSEM field "emial""#,
                r#"forms.json:5: form "contact", key "tags": use numeric ids, as an array or a comma-separated string"#,
                r#"forms.json:7: form "guide", key "sequence_id": required for runsequence"#,
                r#"forms.json:10: form "bad id!": form id must be 1-64 characters of A-Z, a-z, 0-9, _ and -"#,
                r#"forms.json:13: form "booking", key "colour": unknown key; expected one of mode, upsert, tags, contact_lists, sequence_id, fields, required, allowed_origins, redirect, unmapped, strict, appointment_note, spam, phone, default_country, attribution"#,
                r#"forms.json:14: form "booking", key "allowed_origins[1]": use an origin like "https://example.com" or "http://localhost:8787": no path, query or trailing slash"#,
                r#"forms.json:16: form "lost": profile must be a JSON object with at least a mode"#,
            ]
        );
    }

    #[test]
    fn syntax_errors_and_repeated_keys_name_their_line() {
        assert_eq!(
            problems("{\n  \"contact\": {\n    \"mode\": \"addcontact\",\n  }\n}"),
            ["forms.json:4:3: not valid JSON: trailing comma"]
        );
        assert_eq!(
            problems("{\n  \"a\": { \"mode\": \"addcontact\" },\n  \"a\": { \"mode\": \"runsequence\", \"sequence_id\": 5 }\n}"),
            [r#"forms.json:3: form "a": given twice (first at line 2): JSON keeps only the last, remove one"#]
        );
        assert_eq!(
            problems("{\n  \"a\": {\n    \"mode\": \"addcontact\",\n    \"mode\": \"runsequence\"\n  }\n}"),
            [r#"forms.json:4: form "a", key "mode": given twice (first at line 3): JSON keeps only the last, remove one"#]
        );
        assert_eq!(
            problems("[]"),
            ["forms.json:1: the file must be a JSON object of form id -> profile"]
        );
        assert_eq!(
            problems(""),
            ["forms.json:1:0: not valid JSON: EOF while parsing a value"]
        );
    }

    #[test]
    fn the_variable_in_wrangler_jsonc_is_checked_and_may_not_repeat_a_file_form() {
        let file = r#"{ "contact": { "mode": "addcontact" } }"#;
        let config = r#"{
  // a comment, as wrangler.jsonc allows
  "vars": {
    "FORMS": {
      "contact": { "mode": "addcontact" },
      "extra": { "mode": "runsequence", "sequence_id": 7 },
      "broken": { "mode": "sendfax" }
    }
  }
}"#;
        assert_eq!(
            check(file, Some(config)).expect_err("must fail"),
            [
                r#"wrangler.jsonc:7: form "broken", key "mode": unknown mode: use addcontact, runsequence or scheduleappointment"#
            ]
        );
        let config = config.replace(
            r#""broken": { "mode": "sendfax" }"#,
            r#""other": { "mode": "addcontact" }"#,
        );
        assert_eq!(
            check(file, Some(&config)).expect_err("must fail"),
            [
                r#"wrangler.jsonc:5: form "contact": form "contact" is also in forms.json, whose profile wins: keep it in one place"#
            ]
        );
        let config = config.replace(r#""contact": { "mode": "addcontact" },"#, "");
        assert_eq!(check(file, Some(&config)), Ok(3));
    }
}
