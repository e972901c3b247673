//! Server-side form profiles: what a site's form may send, and what the profile adds itself.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use crate::attribution::{self, Attribution, Settings};
use crate::context::Context;
use crate::field::{resolve_field, Class, Field, Mode};
use crate::ids::{Id, IdList};
use crate::issue::{Issue, IssueKind};
use crate::parse::parse_for_mode;
use crate::phone::PhoneRule;
use crate::submission::Submission;
use crate::value::{check_value, decimal, single};
use crate::wire;

/// The configured forms, by form id.
#[derive(Clone, Debug, Default)]
pub struct Forms {
    pub(crate) profiles: Vec<(String, Profile)>,
}

impl Forms {
    pub fn get(&self, form_id: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|(id, _)| id == form_id)
            .map(|(_, profile)| profile)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Profile)> {
        self.profiles
            .iter()
            .map(|(id, profile)| (id.as_str(), profile))
    }

    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}

/// One form's server-side settings. Built by the `config` feature's parser, which checks them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Profile {
    pub(crate) mode: Mode,
    pub(crate) upsert: bool,
    pub(crate) tags: IdList,
    pub(crate) contact_lists: IdList,
    pub(crate) sequence_id: Option<Id>,
    /// Site input name -> the non-control CLOSEM field it feeds.
    pub(crate) fields: Vec<(String, Field)>,
    pub(crate) required: Vec<Field>,
    /// Lowercased `scheme://host[:port]`.
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) redirect: Option<String>,
    pub(crate) unmapped: Unmapped,
    pub(crate) strict: bool,
    pub(crate) appointment_note: Option<String>,
    pub(crate) spam: Spam,
    /// Which phone numbers the form takes (`phone`, `default_country`).
    pub(crate) phone: PhoneRule,
    /// Campaign attribution into the notes, and the rules that add tags and lists.
    pub(crate) attribution: Option<Settings>,
}

/// What happens to visitor inputs that are neither mapped nor CLOSEM fields.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Unmapped {
    #[default]
    Drop,
    /// Appended to the contact's notes as `name: value` lines (addcontact only).
    Notes,
}

/// Spam defences the edge applies before validation.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Spam {
    /// An input humans leave empty; it is never forwarded.
    pub honeypot: Option<String>,
    /// Submissions faster than this after page load are treated as bots.
    pub min_fill_ms: Option<u64>,
    /// Cloudflare Turnstile's site key: with it, the edge requires a verified Turnstile token.
    pub turnstile_site_key: Option<String>,
    /// The `action` the Turnstile widget must have been rendered with, if any.
    pub turnstile_action: Option<String>,
    /// Lowercased host names a Turnstile challenge may have been solved on; empty means the hosts
    /// of the allowed origins (and the edge's own host).
    pub turnstile_hostnames: Vec<String>,
}

/// A submission that passed the profile, and the visitor inputs that did not reach CLOSEM.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Accepted {
    pub submission: Submission,
    /// Input names dropped: control fields on a lenient profile, unmapped names, and CLOSEM
    /// fields the profile's mode does not use. Meant for logs, never echoed values.
    pub ignored: Vec<String>,
}

impl Profile {
    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn redirect(&self) -> Option<&str> {
        self.redirect.as_deref()
    }

    pub fn spam(&self) -> &Spam {
        &self.spam
    }

    pub fn strict(&self) -> bool {
        self.strict
    }

    pub fn unmapped(&self) -> Unmapped {
        self.unmapped
    }

    pub fn allowed_origins(&self) -> &[String] {
        &self.allowed_origins
    }

    /// Site input name -> CLOSEM field, as configured; the widget can use it to hint inputs.
    pub fn fields(&self) -> &[(String, Field)] {
        &self.fields
    }

    /// Exact match against the configured origins, which are stored lowercased as browsers send them.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|allowed| allowed == origin)
    }

    /// The edge's pipeline for one visitor submission: [`Profile::accept_from`] without a
    /// `Referer`.
    pub fn accept<N: AsRef<str>, V: AsRef<str>>(
        &self,
        pairs: &[(N, V)],
        ctx: &Context,
    ) -> Result<Accepted, Vec<Issue>> {
        self.accept_from(pairs, ctx, &Referral::default())
    }

    /// The edge's pipeline for one visitor submission, as named steps: read the visitor's
    /// inputs by the profile ([`Visit::sort`]), check the profile's required fields, build the
    /// canonical fields (notes merged, the visitor naming only themselves), add what the profile
    /// fixes, apply CLOSEM's rules, then the campaign attribution. Issues name the site's own
    /// inputs.
    pub fn accept_from<N: AsRef<str>, V: AsRef<str>>(
        &self,
        pairs: &[(N, V)],
        ctx: &Context,
        referral: &Referral,
    ) -> Result<Accepted, Vec<Issue>> {
        let ctx = &Context {
            phone: self.phone,
            ..*ctx
        };
        let mut visit = Visit::new(self);
        let sorted = visit.sort(pairs);
        visit.require(&sorted.values);
        let mut built = visit.build(&sorted, ctx);
        self.supply(&mut built);
        let submission = visit.parse(&built, ctx)?;
        let submission = self.attribute(submission, pairs, referral);
        Ok(Accepted {
            submission,
            ignored: visit.ignored,
        })
    }

    /// The phone rule the profile's forms use.
    pub fn phone_rule(&self) -> PhoneRule {
        self.phone
    }

    /// The profile's attribution setting, when it asks for attribution.
    pub fn attribution(&self) -> Option<&Settings> {
        self.attribution.as_ref()
    }

    /// The last step: with an attribution setting, the visit's touches become a block in the
    /// contact's notes and, by the profile's rules, tags and lists (addcontact only, which the
    /// configuration checks). The block is added after CLOSEM's rules ran, so it never makes a
    /// visitor's notes too long to send.
    fn attribute<N: AsRef<str>, V: AsRef<str>>(
        &self,
        submission: Submission,
        pairs: &[(N, V)],
        referral: &Referral,
    ) -> Submission {
        let Some(settings) = &self.attribution else {
            return submission;
        };
        // Only addcontact profiles have an attribution setting (the configuration checks).
        let mut add = match submission {
            Submission::AddContact(add) => add,
            other => return other,
        };
        let attribution = Attribution::from_request(pairs, referral.referer.as_deref());
        if settings.notes {
            if let Some(block) = attribution.notes_block() {
                let notes = add.contact.notes.get_or_insert_with(String::new);
                if !notes.is_empty() {
                    notes.push_str("\n\n");
                }
                notes.push_str(&block);
            }
        }
        for rule in settings
            .rules
            .iter()
            .filter(|rule| rule.matches(&attribution))
        {
            add.tags = add.tags.union(&rule.tags);
            add.contact_lists = add.contact_lists.union(&rule.contact_lists);
        }
        Submission::AddContact(add)
    }

    /// Whether this profile's mode forwards `field` from a visitor (others are dropped by
    /// `accept`); `cargo xtask doctor` asks it too, so it reports what the edge does.
    pub fn mode_uses(&self, field: Field) -> bool {
        let own_contact = matches!(field, Field::Phone | Field::Email);
        match self.mode {
            Mode::AddContact => field.class() == Class::Contact,
            Mode::RunSequence => own_contact,
            Mode::ScheduleAppointment => own_contact || field.class() == Class::Appointment,
        }
    }

    /// What the profile fixes, whatever the visitor sent.
    fn supply(&self, built: &mut Vec<(&'static str, String)>) {
        if self.upsert && self.mode == Mode::AddContact {
            built.push((Field::Upsert.canonical(), "true".to_owned()));
        }
        if !self.tags.is_empty() {
            built.push((Field::Tags.canonical(), self.tags.encode()));
        }
        if !self.contact_lists.is_empty() {
            built.push((Field::ContactLists.canonical(), self.contact_lists.encode()));
        }
        if let Some(id) = self.sequence_id {
            built.push((Field::SequenceId.canonical(), decimal(id.get())));
        }
        if let (Some(note), Mode::ScheduleAppointment) = (&self.appointment_note, self.mode) {
            built.push((Field::AppointmentNote.canonical(), note.clone()));
        }
    }
}

/// Where a native post came from, for its attribution: its `Referer`, the page the form was on
/// (the widget sends its touches itself, so the edge gives none for its posts).
#[derive(Clone, Debug, Default)]
pub struct Referral {
    pub referer: Option<String>,
}

/// The visitor's inputs sorted by [`Visit::sort`]: the CLOSEM fields the profile's mode uses,
/// and the unmapped inputs bound for the notes.
struct Sorted<'a> {
    values: Vec<(Field, &'a str)>,
    extra_notes: Vec<(&'a str, &'a str)>,
}

/// State of one `accept` call: where each field came from, and what went wrong.
struct Visit<'a> {
    profile: &'a Profile,
    /// The first site input name the visitor used for each field.
    site_names: [Option<&'a str>; Field::ALL.len()],
    issues: Vec<Issue>,
    ignored: Vec<String>,
}

impl<'a> Visit<'a> {
    fn new(profile: &'a Profile) -> Visit<'a> {
        Visit {
            profile,
            site_names: [None; Field::ALL.len()],
            issues: Vec::new(),
            ignored: Vec::new(),
        }
    }

    /// Step 1: each input becomes a CLOSEM field by the one precedence (`resolve_field`), or
    /// is left out: the widget's reserved fields, the honeypot, campaign parameters the
    /// attribution reads, control fields (reported on a strict profile), fields the mode does
    /// not use, and unmapped names (kept for the notes when the profile says so).
    fn sort<N: AsRef<str>, V: AsRef<str>>(&mut self, pairs: &'a [(N, V)]) -> Sorted<'a> {
        let profile = self.profile;
        let mut sorted = Sorted {
            values: Vec::new(),
            extra_notes: Vec::new(),
        };
        for (name, value) in pairs {
            let (name, value) = (name.as_ref(), value.as_ref().trim());
            let campaign = profile.attribution.is_some()
                && attribution::PARAMETERS
                    .iter()
                    .any(|parameter| parameter.eq_ignore_ascii_case(name));
            if name.starts_with(wire::RESERVED_PREFIX)
                || profile.spam.honeypot.as_deref() == Some(name)
                || campaign
            {
                continue;
            }
            let mapped = profile
                .fields
                .iter()
                .find(|(site, _)| site == name)
                .map(|&(_, field)| field);
            let field = resolve_field(
                wire::hint_for(pairs, wire::HINT_PREFIX, name),
                mapped,
                name,
                wire::hint_for(pairs, wire::AUTOCOMPLETE_PREFIX, name),
            );
            let Some(field) = field else {
                if profile.unmapped == Unmapped::Notes && profile.mode == Mode::AddContact {
                    if !value.is_empty() {
                        sorted.extra_notes.push((name, value));
                    }
                } else {
                    self.ignore(name);
                }
                continue;
            };
            if field.is_control() {
                if profile.strict {
                    self.push(Issue::named(name, IssueKind::Control, Some(field)));
                } else {
                    self.ignore(name);
                }
                continue;
            }
            let fixed_note = field == Field::AppointmentNote && profile.appointment_note.is_some();
            if !profile.mode_uses(field) || fixed_note {
                self.ignore(name);
                continue;
            }
            self.site_names[field.index()].get_or_insert(name);
            if !value.is_empty() {
                sorted.values.push((field, value));
            }
        }
        sorted
    }

    /// Step 2: the profile's `required` fields, each reported where the visitor can fill it.
    fn require(&mut self, values: &[(Field, &str)]) {
        for &field in &self.profile.required {
            let supplied =
                field == Field::AppointmentNote && self.profile.appointment_note.is_some();
            if !supplied && !values.iter().any(|&(given, _)| given == field) {
                self.push(self.issue(field, IssueKind::Required));
            }
        }
    }

    /// Step 3: the canonical fields CLOSEM's rules read. addcontact keeps the visitor's fields
    /// and merges the notes; the other modes turn the visitor's own email and phone into
    /// one-item target lists.
    fn build(&mut self, sorted: &Sorted<'a>, ctx: &Context) -> Vec<(&'static str, String)> {
        let values = &sorted.values;
        let mut built: Vec<(&'static str, String)> = Vec::with_capacity(values.len() + 4);
        if self.profile.mode == Mode::AddContact {
            for &(field, value) in values {
                if field != Field::Notes {
                    built.push((field.canonical(), value.to_owned()));
                }
            }
            self.notes(values, &sorted.extra_notes, &mut built);
        } else {
            for &(field, value) in values {
                if !matches!(field, Field::Email | Field::Phone) {
                    built.push((field.canonical(), value.to_owned()));
                }
            }
            // The visitor names themselves only: one email and one phone, never a list.
            self.own_contact(Field::Email, Field::ContactEmails, values, ctx, &mut built);
            self.own_contact(Field::Phone, Field::ContactPhones, values, ctx, &mut built);
        }
        built
    }

    /// Step 5: CLOSEM's rules for the mode; their issues are placed on the visitor's inputs,
    /// after the ones the earlier steps found.
    fn parse(
        &mut self,
        built: &[(&'static str, String)],
        ctx: &Context,
    ) -> Result<Submission, Vec<Issue>> {
        match parse_for_mode(self.profile.mode, built, ctx) {
            Ok(submission) if self.issues.is_empty() => Ok(submission),
            Ok(_) => Err(core::mem::take(&mut self.issues)),
            Err(issues) => {
                for issue in issues {
                    self.place(issue);
                }
                Err(core::mem::take(&mut self.issues))
            }
        }
    }

    fn ignore(&mut self, name: &str) {
        if !self.ignored.iter().any(|ignored| ignored == name) {
            self.ignored.push(name.to_owned());
        }
    }

    fn push(&mut self, issue: Issue) {
        let duplicate = self
            .issues
            .iter()
            .any(|known| known.field == issue.field && known.kind == issue.kind);
        if !duplicate {
            self.issues.push(issue);
        }
    }

    /// The input a message about `field` belongs on: the name the visitor used, else the
    /// profile's mapping, else the canonical name.
    fn site_name(&self, field: Field) -> &'a str {
        self.site_names[field.index()]
            .or_else(|| {
                let mapped = self
                    .profile
                    .fields
                    .iter()
                    .find(|&&(_, mapped)| mapped == field);
                mapped.map(|(site, _)| site.as_str())
            })
            .unwrap_or(field.canonical())
    }

    fn issue(&self, field: Field, kind: IssueKind) -> Issue {
        Issue::named(self.site_name(field), kind, Some(field))
    }

    /// Puts an issue from `parse_for_mode` on the input the visitor can fix.
    fn place(&mut self, issue: Issue) {
        let issue = match (issue.about, issue.kind) {
            // No target means the visitor gave neither email nor phone: ask for one, unless
            // the one they gave is already reported.
            (Some(Field::ContactEmails), IssueKind::Target) => {
                let reported = [Field::Email, Field::Phone].iter().any(|&field| {
                    let name = self.site_name(field);
                    self.issues.iter().any(|known| known.field == name)
                });
                if reported {
                    return;
                }
                self.issue(Field::Email, IssueKind::Contact)
            }
            (Some(Field::ContactEmails), kind) => self.issue(Field::Email, kind),
            (Some(Field::ContactPhones), kind) => self.issue(Field::Phone, kind),
            (Some(field), kind) if !field.is_control() => self.issue(field, kind),
            _ => issue,
        };
        self.push(issue);
    }

    /// Merges the visitor's notes with unmapped inputs written as `name: value` lines.
    fn notes(
        &mut self,
        values: &[(Field, &str)],
        extra: &[(&'a str, &str)],
        built: &mut Vec<(&'static str, String)>,
    ) {
        let mut notes: Vec<&str> = Vec::new();
        for &(field, value) in values {
            if field == Field::Notes && !notes.contains(&value) {
                notes.push(value);
            }
        }
        if notes.len() > 1 || extra.is_empty() {
            // Different notes conflict, and parsing reports it; nothing is merged then.
            built.extend(
                notes
                    .iter()
                    .map(|&note| (Field::Notes.canonical(), note.to_owned())),
            );
            return;
        }
        let mut merged = notes
            .first()
            .map_or_else(String::new, |&note| note.to_owned());
        for &(name, value) in extra {
            if !merged.is_empty() {
                merged.push('\n');
            }
            merged.push_str(name);
            merged.push_str(": ");
            merged.push_str(value);
        }
        if self.site_names[Field::Notes.index()].is_none() {
            self.site_names[Field::Notes.index()] = extra.first().map(|&(name, _)| name);
        }
        built.push((Field::Notes.canonical(), merged));
    }

    /// Turns the visitor's own email or phone into a one-item target list.
    fn own_contact(
        &mut self,
        own: Field,
        target: Field,
        values: &[(Field, &str)],
        ctx: &Context,
        built: &mut Vec<(&'static str, String)>,
    ) {
        let given = values
            .iter()
            .filter(|&&(field, _)| field == own)
            .map(|&(_, value)| value);
        // One email or phone: a comma would name a second contact.
        let found = single(given, |value| {
            if value.contains(',') {
                Err(IssueKind::Format)
            } else {
                check_value(own, value, ctx)
            }
        });
        let found = match found {
            Ok(found) => found,
            Err(kind) => {
                self.push(self.issue(own, kind));
                return;
            }
        };
        if let Some(normal) = found {
            built.push((target.canonical(), normal));
        }
    }
}

/// Each step of `accept_from` on its own (issue 15); the whole pipeline is tested in
/// `tests/it/profile.rs` and `tests/it/attribution.rs`.
#[cfg(all(test, feature = "config"))]
mod tests {
    use super::*;

    fn profile(json: &str) -> Profile {
        let forms = Forms::from_json_str(json).unwrap_or_else(|errors| panic!("{errors:?}"));
        forms.profiles[0].1.clone()
    }

    #[test]
    fn sort_keeps_the_fields_the_mode_uses_and_leaves_out_the_rest() {
        let profile = profile(
            r#"{ "f": { "mode": "addcontact", "strict": true, "spam": { "honeypot": "website" },
                 "fields": { "your-email": "email" }, "attribution": true } }"#,
        );
        let mut visit = Visit::new(&profile);
        let pairs = [
            ("your-email", " ann@example.com "),
            ("tags", "5"),
            ("website", "bot"),
            ("utm_source", "google"),
            ("_closem_key", "k"),
            ("colour", "blue"),
        ];
        let sorted = visit.sort(&pairs);
        assert_eq!(sorted.values, [(Field::Email, "ann@example.com")]);
        assert!(sorted.extra_notes.is_empty());
        assert_eq!(visit.ignored, ["colour"]);
        let codes: Vec<String> = visit.issues.iter().map(Issue::code).collect();
        assert_eq!(
            codes,
            ["tags.control"],
            "strict: the control field is reported"
        );
        assert_eq!(visit.site_name(Field::Email), "your-email");
    }

    #[test]
    fn require_reports_missing_fields_where_the_visitor_can_fill_them() {
        let profile = profile(
            r#"{ "f": { "mode": "addcontact", "required": ["phone", "email"], "fields": { "tel": "phone" } } }"#,
        );
        let mut visit = Visit::new(&profile);
        visit.require(&[(Field::Email, "ann@example.com")]);
        assert_eq!(
            visit.issues,
            [Issue::named("tel", IssueKind::Required, Some(Field::Phone))]
        );
    }

    #[test]
    fn build_turns_the_visitors_own_contact_into_one_target() {
        let profile = profile(r#"{ "f": { "mode": "runsequence", "sequence_id": 5 } }"#);
        let mut visit = Visit::new(&profile);
        let sorted = Sorted {
            values: alloc::vec![
                (Field::Email, "ann@example.com"),
                (Field::Phone, "555-444-3333")
            ],
            extra_notes: Vec::new(),
        };
        let built = visit.build(&sorted, &Context::utc(0));
        assert_eq!(
            built,
            [
                ("contact_emails", "ann@example.com".to_owned()),
                ("contact_phones", "+15554443333".to_owned())
            ]
        );
    }

    #[test]
    fn attribute_adds_the_block_and_the_rules_ids_to_addcontact_only() {
        let lead = profile(
            r#"{ "f": { "mode": "addcontact", "attribution": { "rules": [ { "when": { "utm_source": "google" }, "tags": [71] } ] } } }"#,
        );
        let parsed = parse_for_mode(
            Mode::AddContact,
            &[("email", "ann@example.com")],
            &Context::utc(0),
        )
        .expect("valid");
        let pairs = [("_closem_last", "utm_source=google")];
        let Submission::AddContact(add) =
            lead.attribute(parsed.clone(), &pairs, &Referral::default())
        else {
            panic!("addcontact");
        };
        assert_eq!(add.tags.encode(), "71");
        assert_eq!(
            add.contact.notes.as_deref(),
            Some("attribution (last touch): utm_source=google")
        );
        let plain = profile(r#"{ "f": { "mode": "addcontact" } }"#);
        assert_eq!(
            plain.attribute(parsed.clone(), &pairs, &Referral::default()),
            parsed
        );
    }
}
