//! Server-side form profiles: what a site's form may send, and what the profile adds itself.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use crate::context::Context;
use crate::field::{resolve_field, Class, Field, Mode};
use crate::ids::{Id, IdList};
use crate::issue::{Issue, IssueKind};
use crate::parse::parse_for_mode;
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

    /// The edge's pipeline for one visitor submission: map site names, keep control fields out,
    /// add what the profile fixes, then apply CLOSEM's rules. Issues name the site's own inputs.
    pub fn accept<N: AsRef<str>, V: AsRef<str>>(
        &self,
        pairs: &[(N, V)],
        ctx: &Context,
    ) -> Result<Accepted, Vec<Issue>> {
        let mut visit = Visit {
            profile: self,
            site_names: [None; Field::ALL.len()],
            issues: Vec::new(),
            ignored: Vec::new(),
        };
        let mut values: Vec<(Field, &str)> = Vec::new();
        let mut extra_notes: Vec<(&str, &str)> = Vec::new();

        for (name, value) in pairs {
            let (name, value) = (name.as_ref(), value.as_ref().trim());
            if name.starts_with(wire::RESERVED_PREFIX)
                || self.spam.honeypot.as_deref() == Some(name)
            {
                continue;
            }
            let mapped = self
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
                if self.unmapped == Unmapped::Notes && self.mode == Mode::AddContact {
                    if !value.is_empty() {
                        extra_notes.push((name, value));
                    }
                } else {
                    visit.ignore(name);
                }
                continue;
            };
            if field.is_control() {
                if self.strict {
                    visit.push(Issue::named(name, IssueKind::Control, Some(field)));
                } else {
                    visit.ignore(name);
                }
                continue;
            }
            let fixed_note = field == Field::AppointmentNote && self.appointment_note.is_some();
            if !self.mode_uses(field) || fixed_note {
                visit.ignore(name);
                continue;
            }
            let site_name = &mut visit.site_names[field.index()];
            site_name.get_or_insert(name);
            if !value.is_empty() {
                values.push((field, value));
            }
        }

        for &field in &self.required {
            let supplied = field == Field::AppointmentNote && self.appointment_note.is_some();
            if !supplied && !values.iter().any(|&(given, _)| given == field) {
                visit.push(visit.issue(field, IssueKind::Required));
            }
        }

        let mut built: Vec<(&'static str, String)> = Vec::with_capacity(values.len() + 4);
        if self.mode == Mode::AddContact {
            for &(field, value) in &values {
                if field != Field::Notes {
                    built.push((field.canonical(), value.to_owned()));
                }
            }
            visit.notes(&values, &extra_notes, &mut built);
        } else {
            for &(field, value) in &values {
                match field {
                    Field::Email => {}
                    Field::Phone => {}
                    _ => built.push((field.canonical(), value.to_owned())),
                }
            }
            // The visitor names themselves only: one email and one phone, never a list.
            visit.own_contact(Field::Email, Field::ContactEmails, &values, ctx, &mut built);
            visit.own_contact(Field::Phone, Field::ContactPhones, &values, ctx, &mut built);
        }
        self.supply(&mut built);

        match parse_for_mode(self.mode, &built, ctx) {
            Ok(submission) if visit.issues.is_empty() => Ok(Accepted {
                submission,
                ignored: visit.ignored,
            }),
            Ok(_) => Err(visit.issues),
            Err(issues) => {
                for issue in issues {
                    visit.place(issue);
                }
                Err(visit.issues)
            }
        }
    }

    fn mode_uses(&self, field: Field) -> bool {
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

/// State of one `accept` call: where each field came from, and what went wrong.
struct Visit<'a> {
    profile: &'a Profile,
    /// The first site input name the visitor used for each field.
    site_names: [Option<&'a str>; Field::ALL.len()],
    issues: Vec<Issue>,
    ignored: Vec<String>,
}

impl<'a> Visit<'a> {
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
