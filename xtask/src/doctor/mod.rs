//! `cargo xtask doctor <URL or HTML file> [--forms FILE]`: reads a page as the site owner built it
//! and says, for every `form[data-closem]`, which profile it names, which CLOSEM field each input
//! feeds and why, what no input can fill, inputs whose type fights their field, and whether the
//! script tag is there and which endpoint it uses. Every decision the edge makes is made here by
//! the same code in shared/: `resolve_field` for each input, and the profile's own `accept` on
//! the values a visitor could type, with the hints the widget sends. Exits non-zero when a form
//! cannot produce a valid lead.

mod html;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use closem_shared::{resolve_field, wire, Context, Field, Forms, Mode, Profile, Unmapped};

use crate::process::{root, Outcome};
use html::Tag;

const USAGE: &str = "usage: cargo xtask doctor <URL or HTML file> [--forms FILE]
  FILE: the forms file to read profiles from (default edge/forms.json, plus FORMS in edge/wrangler.jsonc)";

/// How bad a finding is: an error means the form cannot produce a valid lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Info,
    Warning,
    Error,
}

/// One line of the report; `form` is the form id it is about, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) level: Level,
    pub(crate) form: Option<String>,
    pub(crate) text: String,
}

#[derive(Default)]
pub(crate) struct Report {
    pub(crate) findings: Vec<Finding>,
}

impl Report {
    fn add(&mut self, level: Level, form: Option<&str>, text: impl Into<String>) {
        self.findings.push(Finding {
            level,
            form: form.map(str::to_owned),
            text: text.into(),
        });
    }

    pub(crate) fn ok(&self) -> bool {
        !self
            .findings
            .iter()
            .any(|finding| finding.level == Level::Error)
    }

    fn print(&self) {
        for finding in &self.findings {
            let mark = match finding.level {
                Level::Info => "  ",
                Level::Warning => "! ",
                Level::Error => "x ",
            };
            let indent = if finding.form.is_some() { "  " } else { "" };
            println!("{indent}{mark}{}", finding.text);
        }
    }
}

pub(crate) fn run(args: &[String]) -> Outcome {
    let mut target = None;
    let mut forms_file = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--forms" => forms_file = rest.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if target.is_none() => target = Some(arg.clone()),
            _ => return Err(format!("unexpected argument `{arg}`\n{USAGE}")),
        }
    }
    let target = target.ok_or(USAGE)?;
    let file = forms_file.unwrap_or_else(|| root().join(crate::check::FORMS_FILE));
    let forms = crate::check::load(&file, &root().join(crate::check::WRANGLER_CONFIG))
        .map_err(|problems| {
            format!(
                "fix the form configuration first (`cargo xtask check`):\n{}",
                problems.join("\n")
            )
        })?
        .forms;
    let (html, page_url) = read_page(&target)?;
    println!("doctor: {target} (profiles from {})", file.display());
    let report = diagnose(&html, page_url.as_deref(), &forms);
    report.print();
    if report.ok() {
        println!("doctor: every form can produce a valid lead");
        Ok(())
    } else {
        Err("a form on this page cannot produce a valid lead (lines marked x)".into())
    }
}

/// The page's HTML and, for a URL, the URL (relative script and action URLs resolve against it).
fn read_page(target: &str) -> Outcome<(String, Option<String>)> {
    if target.starts_with("http://") {
        return Ok((http_get(target, 5)?, Some(target.to_owned())));
    }
    if target.starts_with("https://") {
        // No TLS stack in xtask (it builds before anything else): the system's curl fetches it.
        let output = std::process::Command::new("curl")
            .args(["-fsSL", "--max-time", "30", target])
            .output()
            .map_err(|error| {
                format!("https needs curl ({error}): save the page and pass the file instead")
            })?;
        if !output.status.success() {
            return Err(format!(
                "curl could not fetch {target}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        return Ok((
            String::from_utf8_lossy(&output.stdout).into_owned(),
            Some(target.to_owned()),
        ));
    }
    let path = Path::new(target);
    let html = std::fs::read_to_string(path).map_err(|error| format!("{target}: {error}"))?;
    Ok((html, None))
}

/// A plain HTTP/1.0 GET (so the answer is never chunked), following up to `hops` redirects.
fn http_get(url: &str, hops: u8) -> Outcome<String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// here")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let mut stream =
        std::net::TcpStream::connect(&address).map_err(|error| format!("{url}: {error}"))?;
    let timeout = Some(std::time::Duration::from_secs(30));
    let _ = stream.set_read_timeout(timeout);
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: text/html\r\nUser-Agent: closem-doctor\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|error| format!("{url}: {error}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|error| format!("{url}: {error}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    if (300..400).contains(&status) && hops > 0 {
        let location = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        });
        if let Some(location) = location {
            let next = resolve(&location, Some(url)).unwrap_or(location);
            return http_get(&next, hops - 1);
        }
    }
    if status != 200 {
        return Err(format!("{url} answered {status}, not 200"));
    }
    Ok(body.to_owned())
}

/// The whole report for one page. `page_url` is where the page came from, if it came from a URL.
pub(crate) fn diagnose(html: &str, page_url: Option<&str>, forms: &Forms) -> Report {
    let tags = html::tags(html);
    let mut report = Report::default();
    let script = script(&tags, page_url, &mut report);
    let mut seen = 0;
    for (at, tag) in tags.iter().enumerate() {
        if tag.closing || tag.name != "form" {
            continue;
        }
        let Some(id) = tag.attribute("data-closem") else {
            continue;
        };
        seen += 1;
        let controls = controls_of(&tags, at);
        let form = PageForm {
            tag,
            id: id.trim(),
            controls,
        };
        form.diagnose(forms, script.as_ref(), page_url, &mut report);
    }
    if seen == 0 {
        report.add(
            Level::Error,
            None,
            "no <form data-closem> in the page's HTML: add data-closem=\"<form id>\" to the form (a form that JavaScript builds, as React or HubSpot do, is not in the HTML: save the rendered page from the browser's developer tools and run the doctor on that file)",
        );
    }
    report
}

/// The widget's script tag, and the endpoint it makes forms post to.
struct Script {
    /// `Some(origin)`, or `None` when it is the page's own origin and the page is a file.
    endpoint: Option<String>,
}

fn script(tags: &[Tag], page_url: Option<&str>, report: &mut Report) -> Option<Script> {
    let found: Vec<&Tag> = tags
        .iter()
        .filter(|tag| tag.name == "script" && !tag.closing)
        .filter(|tag| {
            tag.attribute("src").is_some_and(|src| {
                let path = src.split(['?', '#']).next().unwrap_or(src);
                path == "closem.js" || path.ends_with("/closem.js")
            })
        })
        .collect();
    let Some(tag) = found.first() else {
        report.add(
            Level::Warning,
            None,
            "no <script src=\".../closem.js\"> tag: forms are not enhanced (no validation in the browser, no hints, no outbox) and post natively",
        );
        return None;
    };
    let src = tag.attribute("src").unwrap_or_default();
    let (endpoint, how) = match tag.attribute("data-endpoint").map(str::trim) {
        Some(endpoint) if !endpoint.is_empty() => (
            Some(endpoint.trim_end_matches('/').to_owned()),
            "its data-endpoint",
        ),
        _ => (
            resolve(src, page_url).and_then(|url| origin(&url)),
            "the origin it loads from",
        ),
    };
    let shown = endpoint.as_deref().unwrap_or("the page's own origin");
    report.add(
        Level::Info,
        None,
        format!(
            "script: line {}, src {src}: forms post to {shown} ({how})",
            tag.line
        ),
    );
    if found.len() > 1 {
        report.add(
            Level::Warning,
            None,
            format!("closem.js is included {} times: keep one tag", found.len()),
        );
    }
    Some(Script { endpoint })
}

/// A submittable control of a form.
struct Control<'a> {
    tag: &'a Tag,
    /// What the widget knows it by: its name, else its id.
    name: Option<&'a str>,
    kind: String,
}

/// The controls of the form starting at `tags[at]`: inside it (unless they name another form
/// with `form=`), and anywhere else with `form="<its id>"`.
fn controls_of(tags: &[Tag], at: usize) -> Vec<Control<'_>> {
    let form_id = tags[at].attribute("id");
    let end = tags[at..]
        .iter()
        .position(|tag| tag.closing && tag.name == "form")
        .map_or(tags.len(), |offset| at + offset);
    let mut controls = Vec::new();
    for (index, tag) in tags.iter().enumerate() {
        if tag.closing || !matches!(tag.name.as_str(), "input" | "select" | "textarea") {
            continue;
        }
        let owner = tag.attribute("form");
        let inside = index > at && index < end;
        let belongs = match owner {
            Some(owner) => Some(owner) == form_id,
            None => inside,
        };
        if !belongs {
            continue;
        }
        let kind = match tag.name.as_str() {
            "input" => tag
                .attribute("type")
                .unwrap_or("text")
                .trim()
                .to_ascii_lowercase(),
            other => other.to_owned(),
        };
        if matches!(kind.as_str(), "submit" | "button" | "reset" | "image") {
            continue;
        }
        let name = tag
            .attribute("name")
            .or_else(|| tag.attribute("id"))
            .filter(|name| !name.trim().is_empty());
        controls.push(Control { tag, name, kind });
    }
    controls
}

struct PageForm<'a> {
    tag: &'a Tag,
    id: &'a str,
    controls: Vec<Control<'a>>,
}

/// What one control becomes at the edge.
struct Fate {
    field: Option<Field>,
    /// The visitor cannot type a value the field accepts into it (its type fights the field).
    blocked: bool,
}

impl PageForm<'_> {
    fn diagnose(
        &self,
        forms: &Forms,
        script: Option<&Script>,
        page_url: Option<&str>,
        report: &mut Report,
    ) {
        let id = Some(self.id);
        let Some(profile) = forms.get(self.id) else {
            let known: Vec<&str> = forms.iter().map(|(id, _)| id).collect();
            report.add(
                Level::Info,
                None,
                format!("form \"{}\" (line {})", self.id, self.tag.line),
            );
            report.add(
                Level::Error,
                id,
                format!(
                    "no profile named \"{}\": every post gets 404 (profiles: {})",
                    self.id,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            );
            return;
        };
        report.add(
            Level::Info,
            None,
            format!(
                "form \"{}\" (line {}): profile {} ({})",
                self.id,
                self.tag.line,
                self.id,
                profile.mode().as_str()
            ),
        );
        let native_ok = self.action(script, page_url, report);
        let mut fates = Vec::new();
        for control in &self.controls {
            let fate = self.control(control, profile, report);
            fates.push(fate);
        }
        self.verdict(profile, &fates, script.is_some(), native_ok, report);
    }

    /// The native post's target: where the form goes without JavaScript. False when it cannot
    /// reach the edge's `/f/<id>`.
    fn action(&self, script: Option<&Script>, page_url: Option<&str>, report: &mut Report) -> bool {
        let id = Some(self.id);
        let action = self.tag.attribute("action").map(str::trim);
        let lowered = action.map(str::to_ascii_lowercase).unwrap_or_default();
        if lowered.contains("closem.ai") || lowered.contains("auth=") || lowered.contains("m=api") {
            report.add(
                Level::Error,
                id,
                "the action posts straight to CLOSEM: the page hands the API key to every visitor; point it at the forms host's /f/<form id>",
            );
            return false;
        }
        let expected_path = format!("/f/{}", self.id);
        let endpoint = script.and_then(|script| script.endpoint.clone());
        let expected = endpoint.as_deref().map_or(expected_path.clone(), |origin| {
            format!("{origin}{expected_path}")
        });
        let method = self.tag.attribute("method").unwrap_or("get");
        let posts = method.trim().eq_ignore_ascii_case("post");
        if !posts {
            report.add(
                Level::Warning,
                id,
                format!(
                    "method is \"{method}\": without JavaScript the edge needs method=\"post\""
                ),
            );
        }
        let Some(action) = action.filter(|action| !action.is_empty()) else {
            report.add(
                Level::Warning,
                id,
                format!("no action: without JavaScript the form posts to the page itself; set action=\"{expected}\""),
            );
            return false;
        };
        let resolved = resolve(action, page_url).unwrap_or_else(|| action.to_owned());
        let reaches = match &endpoint {
            Some(_) => resolved.trim_end_matches('/') == expected,
            None => resolved.trim_end_matches('/').ends_with(&expected_path),
        };
        if !reaches {
            report.add(
                Level::Warning,
                id,
                format!("without JavaScript the form posts to {action}, not {expected}"),
            );
        }
        reaches && posts
    }

    /// One control: which field it feeds (by `resolve_field`, the edge's and the widget's
    /// precedence), what the profile does with it, and whether its type fights the field.
    fn control(&self, control: &Control, profile: &Profile, report: &mut Report) -> Fate {
        let id = Some(self.id);
        let tag = control.tag;
        let Some(name) = control.name else {
            report.add(
                Level::Warning,
                id,
                format!(
                    "{} (line {}) has neither name nor id: its value is never sent",
                    control.kind, tag.line
                ),
            );
            return Fate {
                field: None,
                blocked: true,
            };
        };
        // As dom.js reads them: an empty attribute is no hint.
        let hint = tag
            .attribute("data-closem-field")
            .filter(|hint| !hint.is_empty());
        let autocomplete = tag
            .attribute("autocomplete")
            .filter(|token| !token.is_empty());
        let mapped = profile
            .fields()
            .iter()
            .find(|(site, _)| site == name)
            .map(|&(_, field)| field);
        let field = resolve_field(hint, mapped, name, autocomplete);
        let because = match (
            hint.and_then(Field::from_name),
            mapped,
            Field::from_name(name),
        ) {
            (Some(_), _, _) => "data-closem-field".to_owned(),
            (None, Some(_), _) => "the profile's fields mapping".to_owned(),
            (None, None, Some(_)) => "a documented CLOSEM name".to_owned(),
            _ if field.is_some() => {
                format!("autocomplete=\"{}\"", autocomplete.unwrap_or_default())
            }
            _ => String::new(),
        };
        if let Some(hint) = hint.filter(|hint| Field::from_name(hint).is_none()) {
            report.add(
                Level::Warning,
                id,
                format!(
                    "{name}: data-closem-field=\"{hint}\" names no CLOSEM field, so it is ignored"
                ),
            );
        }
        let where_ = format!("{name} (line {}, {})", tag.line, control.kind);
        let outcome = fate_text(profile, name, field, &because);
        report.add(Level::Info, id, format!("{where_}: {outcome}"));
        if tag.attribute("disabled").is_some() {
            report.add(
                Level::Warning,
                id,
                format!("{name} is disabled: browsers never send it"),
            );
        }
        // Without JavaScript only names travel: hints and autocomplete tokens stay behind.
        let native = resolve_field(None, mapped, name, None);
        if native != field && field.is_some_and(|field| !field.is_control()) {
            report.add(
                Level::Warning,
                id,
                format!(
                    "{name}: without JavaScript it is known by its name only and {}; map it in the profile's fields",
                    native.map_or("dropped".to_owned(), |field| format!("feeds {}", field.canonical()))
                ),
            );
        }
        let blocked =
            field.is_some_and(|field| self.type_fight(name, &control.kind, field, report));
        Fate { field, blocked }
    }

    /// Reports an input whose type fights its field; true when the browser would keep the
    /// visitor from entering a value the field accepts.
    fn type_fight(&self, name: &str, kind: &str, field: Field, report: &mut Report) -> bool {
        let id = Some(self.id);
        let field_name = field.canonical();
        let text_like = !matches!(field, Field::AppointmentTimestamp);
        let (blocking, why) = match (kind, field) {
            ("email", Field::Email) | ("tel", Field::Phone) => return false,
            ("number", Field::AppointmentTimestamp) | ("datetime-local", Field::AppointmentTimestamp) => {
                return false
            }
            ("number", Field::Phone) => (true, "type=number keeps only digits: the +, spaces and dashes of a phone number are refused"),
            ("number", Field::Zip) => (true, "type=number drops a zip code's leading zeros"),
            ("number" | "date" | "time" | "month" | "week" | "datetime-local" | "range" | "color" | "file", _) => {
                (true, "the browser only accepts its own format in this type")
            }
            ("checkbox" | "radio", Field::Notes) => return false,
            ("checkbox" | "radio", _) => (true, "a checkbox or radio sends its fixed value, not what a visitor types"),
            ("email", _) => (false, "type=email: browsers refuse anything but an email address when JavaScript is off"),
            ("url", _) => (false, "type=url: browsers refuse anything but a URL when JavaScript is off"),
            ("tel", _) if text_like => (false, "type=tel shows a phone keypad"),
            (_, Field::Email) if kind != "text" && kind != "hidden" && kind != "search" && kind != "textarea" => {
                (false, "use type=email for the email address")
            }
            _ => return false,
        };
        report.add(
            Level::Warning,
            id,
            format!("{name}: type {kind} fights its field {field_name}: {why}"),
        );
        blocking
    }

    /// Runs the profile's `accept` on what a visitor could send through these inputs, with the
    /// widget's hints (and once more as a native post, without them).
    fn verdict(
        &self,
        profile: &Profile,
        fates: &[Fate],
        enhanced: bool,
        native_reaches: bool,
        report: &mut Report,
    ) {
        let id = Some(self.id);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i64);
        let ctx = Context::utc(now);
        let with_hints = self.pairs(profile, fates, true, now);
        let native = self.pairs(profile, fates, false, now);
        let widget = profile.accept(&with_hints, &ctx);
        let posted = profile.accept(&native, &ctx);
        let (decisive, other) = if enhanced {
            (&widget, Some(&posted))
        } else {
            (&posted, None)
        };
        match decisive {
            Ok(accepted) => {
                let names: Vec<&str> = accepted
                    .submission
                    .encode()
                    .iter()
                    .map(|(name, _)| *name)
                    .collect();
                report.add(
                    Level::Info,
                    id,
                    format!("a valid lead: CLOSEM receives {}", names.join(", ")),
                );
            }
            Err(issues) => {
                for issue in issues {
                    let about = issue
                        .about
                        .map_or(issue.field.clone(), |field| field.canonical().to_owned());
                    report.add(
                        Level::Error,
                        id,
                        format!(
                            "no valid lead: {about}: {} (no input on the page can give it)",
                            issue.message()
                        ),
                    );
                }
            }
        }
        if let (Some(Err(issues)), true) = (other, decisive.is_ok()) {
            let codes: Vec<String> = issues
                .iter()
                .map(|issue| issue.message().to_owned())
                .collect();
            report.add(
                Level::Warning,
                id,
                format!("without JavaScript no valid lead: {}", codes.join("; ")),
            );
        }
        if !enhanced && !native_reaches {
            report.add(
                Level::Error,
                id,
                "without the script and with this action, nothing reaches the edge",
            );
        }
    }

    /// `(name, value)` pairs a visitor could send: a valid sample for each input's field (none
    /// for inputs whose type fights it), hidden inputs' own values, the honeypot left empty, and
    /// with `hints` the widget's `_closem_field:` / `_closem_auto:` pairs.
    fn pairs(
        &self,
        profile: &Profile,
        fates: &[Fate],
        hints: bool,
        now: i64,
    ) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (control, fate) in self.controls.iter().zip(fates) {
            let Some(name) = control.name else { continue };
            if control.tag.attribute("disabled").is_some()
                || profile.spam().honeypot.as_deref() == Some(name)
                || pairs.iter().any(|(known, _)| known == name)
            {
                continue;
            }
            let own = control.tag.attribute("value").unwrap_or_default();
            let field = if hints {
                fate.field
            } else {
                let mapped = profile
                    .fields()
                    .iter()
                    .find(|(site, _)| site == name)
                    .map(|&(_, f)| f);
                resolve_field(None, mapped, name, None)
            };
            let value = match (control.kind.as_str(), field) {
                ("hidden", _) => own.to_owned(),
                (_, _) if fate.blocked => String::new(),
                (_, Some(field)) => sample(field, now),
                (_, None) => "sample text".to_owned(),
            };
            pairs.push((name.to_owned(), value));
            if hints {
                for (prefix, attribute) in [
                    (wire::HINT_PREFIX, "data-closem-field"),
                    (wire::AUTOCOMPLETE_PREFIX, "autocomplete"),
                ] {
                    if let Some(hint) = control
                        .tag
                        .attribute(attribute)
                        .filter(|hint| !hint.is_empty())
                    {
                        pairs.push((format!("{prefix}{name}"), hint.to_owned()));
                    }
                }
            }
        }
        pairs
    }
}

/// What the profile does with a control that resolved to `field`.
fn fate_text(profile: &Profile, name: &str, field: Option<Field>, because: &str) -> String {
    if name.starts_with(wire::RESERVED_PREFIX) {
        return "the widget's own field".to_owned();
    }
    if profile.spam().honeypot.as_deref() == Some(name) {
        return "the profile's honeypot: people leave it empty, posts that fill it are kept as spam".to_owned();
    }
    let Some(field) = field else {
        return if profile.unmapped() == Unmapped::Notes && profile.mode() == Mode::AddContact {
            "no CLOSEM field: appended to the notes (unmapped: notes)".to_owned()
        } else {
            "dropped: no CLOSEM field (map it in the profile's fields, or add data-closem-field)"
                .to_owned()
        };
    };
    let canonical = field.canonical();
    if field.is_control() {
        return if profile.strict() {
            format!("{canonical} is a control field: this strict profile refuses the post (422) when it has a value")
        } else {
            format!("{canonical} is a control field: ignored, the profile sets it")
        };
    }
    if !profile.mode_uses(field) {
        return format!(
            "dropped: a {} profile does not use {canonical}",
            profile.mode().as_str()
        );
    }
    format!("feeds {canonical} ({because})")
}

/// A value a visitor could type that the field accepts.
fn sample(field: Field, now: i64) -> String {
    match field {
        Field::Email | Field::ContactEmails => "ada@example.com".to_owned(),
        Field::Phone | Field::ContactPhones => "+1 (555) 444-3333".to_owned(),
        Field::FullName => "Ada Lovelace".to_owned(),
        Field::FirstName => "Ada".to_owned(),
        Field::LastName => "Lovelace".to_owned(),
        Field::Address => "1 Main Street".to_owned(),
        Field::City => "Springfield".to_owned(),
        Field::State => "NY".to_owned(),
        Field::Zip => "10001".to_owned(),
        Field::AppointmentTimestamp => (now + 7 * 86_400).to_string(),
        _ => "a few words".to_owned(),
    }
}

/// `reference` resolved against `base` (a page URL): absolute and scheme-relative URLs, and
/// paths when the base is known.
fn resolve(reference: &str, base: Option<&str>) -> Option<String> {
    let reference = reference.trim();
    if reference.starts_with("http://") || reference.starts_with("https://") {
        return Some(reference.to_owned());
    }
    let base = base?;
    let scheme_end = base.find("://")? + 3;
    if let Some(rest) = reference.strip_prefix("//") {
        return Some(format!("{}{rest}", &base[..scheme_end]));
    }
    let origin = origin(base)?;
    if reference.starts_with('/') {
        return Some(format!("{origin}{reference}"));
    }
    let path = &base[origin.len()..];
    let directory = &path[..path.rfind('/').map_or(0, |slash| slash + 1)];
    let directory = if directory.is_empty() { "/" } else { directory };
    Some(format!("{origin}{directory}{reference}"))
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(url[..scheme_end + end].to_owned())
}

#[cfg(test)]
mod tests;
