//! Raw form pairs to a typed [`Submission`] or the complete list of issues, per CLOSEM's rules.

use alloc::{string::String, vec::Vec};

use crate::context::Context;
use crate::email::Email;
use crate::field::{Field, Mode};
use crate::ids::{Id, IdList};
use crate::issue::{Issue, IssueKind};
use crate::phone::{Phone, PhoneRule};
use crate::submission::{
    AddContact, Contact, Name, RunSequence, ScheduleAppointment, Submission, Targets,
};
use crate::timestamp::resolve_timestamp;
use crate::value::{list, parse_bool, single, text};

/// Parses a whole request, `mode` included (`mode.required`, `mode.unknown`).
pub fn parse<N: AsRef<str>, V: AsRef<str>>(
    pairs: &[(N, V)],
    ctx: &Context,
) -> Result<Submission, Vec<Issue>> {
    let mut reader = Reader::new(pairs, true);
    match reader.scalar(Field::Mode, |value| {
        Mode::parse(value).ok_or(IssueKind::Unknown)
    }) {
        Some(mode) => reader.finish(mode, ctx),
        None => {
            if reader.issues.is_empty() {
                reader
                    .issues
                    .push(Issue::new(Field::Mode, IssueKind::Required));
            }
            // Without a mode there are no rules to check the other fields against.
            Err(reader.issues)
        }
    }
}

/// Parses a request whose mode is already known; `mode`, `auth` and `m` pairs are ignored.
pub fn parse_for_mode<N: AsRef<str>, V: AsRef<str>>(
    mode: Mode,
    pairs: &[(N, V)],
    ctx: &Context,
) -> Result<Submission, Vec<Issue>> {
    Reader::new(pairs, false).finish(mode, ctx)
}

/// The trimmed, non-empty values of each field, grouped across aliases and repeats.
struct Reader<'p> {
    values: [Vec<&'p str>; Field::ALL.len()],
    issues: Vec<Issue>,
    /// The context's phone rule, set by `finish`.
    phone: PhoneRule,
}

impl<'p> Reader<'p> {
    fn new<N: AsRef<str>, V: AsRef<str>>(pairs: &'p [(N, V)], with_mode: bool) -> Reader<'p> {
        let mut values: [Vec<&'p str>; Field::ALL.len()] = Default::default();
        for (name, value) in pairs {
            let Some(field) = Field::from_name(name.as_ref()) else {
                continue;
            };
            if matches!(field, Field::Auth | Field::M) || (field == Field::Mode && !with_mode) {
                continue;
            }
            let value = value.as_ref().trim();
            if !value.is_empty() {
                values[field.index()].push(value);
            }
        }
        Reader {
            values,
            issues: Vec::new(),
            phone: PhoneRule::NorthAmerican,
        }
    }

    fn present(&self, field: Field) -> bool {
        !self.values[field.index()].is_empty()
    }

    fn issue(&mut self, field: Field, kind: IssueKind) {
        self.issues.push(Issue::new(field, kind));
    }

    /// A single-value field: every value must parse, and to the same thing (`conflict` otherwise).
    fn scalar<T: PartialEq>(
        &mut self,
        field: Field,
        parse: impl Fn(&str) -> Result<T, IssueKind>,
    ) -> Option<T> {
        let found = single(self.values[field.index()].iter().copied(), parse);
        self.ok_or_issue(field, found).flatten()
    }

    fn text(&mut self, field: Field) -> Option<String> {
        self.scalar(field, |value| text(field, value))
    }

    fn id_list(&mut self, field: Field) -> Option<IdList> {
        let parsed = IdList::parse_all(self.values[field.index()].iter().copied());
        self.ok_or_issue(field, parsed)
    }

    fn sequence_id(&mut self) -> Option<Id> {
        // `,,` is not blank but names no id: a format problem, not an absent field.
        self.scalar(Field::SequenceId, |value| {
            Id::parse_single(value)?.ok_or(IssueKind::Format)
        })
    }

    fn ok_or_issue<T>(&mut self, field: Field, parsed: Result<T, IssueKind>) -> Option<T> {
        parsed.map_err(|kind| self.issue(field, kind)).ok()
    }

    fn finish(mut self, mode: Mode, ctx: &Context) -> Result<Submission, Vec<Issue>> {
        self.phone = ctx.phone;
        let submission = match mode {
            Mode::AddContact => self.add_contact().map(Submission::AddContact),
            Mode::RunSequence => self.run_sequence().map(Submission::RunSequence),
            Mode::ScheduleAppointment => self.schedule(ctx).map(Submission::ScheduleAppointment),
        };
        match submission {
            Some(submission) if self.issues.is_empty() => Ok(submission),
            _ => Err(self.issues),
        }
    }

    fn add_contact(&mut self) -> Option<AddContact> {
        if !self.present(Field::Phone) && !self.present(Field::Email) {
            self.issue(Field::Email, IssueKind::Contact);
        }
        let rule = self.phone;
        let phone = self.scalar(Field::Phone, |value| Phone::parse_with(value, rule));
        let email = self.scalar(Field::Email, Email::parse);
        let name = self.name();
        let notes = self.text(Field::Notes);
        let address = self.text(Field::Address);
        let city = self.text(Field::City);
        let state = self.text(Field::State);
        let zip = self.text(Field::Zip);
        let upsert = self.scalar(Field::Upsert, parse_bool);
        let tags = self.id_list(Field::Tags);
        let contact_lists = self.id_list(Field::ContactLists);
        let sequence_id = self.sequence_id();
        // Every field is read before bailing out, so every issue is on the list.
        Some(AddContact {
            contact: Contact {
                phone,
                email,
                name,
                notes,
                address,
                city,
                state,
                zip,
            },
            upsert: upsert.unwrap_or(false),
            tags: tags?,
            contact_lists: contact_lists?,
            sequence_id,
        })
    }

    fn name(&mut self) -> Name {
        // CLOSEM ignores first and last name when a full name is given, so they are not checked.
        if self.present(Field::FullName) {
            return self.text(Field::FullName).map_or(Name::None, Name::Full);
        }
        let first = self.text(Field::FirstName);
        let last = self.text(Field::LastName);
        if first.is_none() && last.is_none() {
            Name::None
        } else {
            Name::Parts { first, last }
        }
    }

    fn targets(&mut self) -> Option<Targets> {
        let emails = list(
            self.values[Field::ContactEmails.index()].iter().copied(),
            Email::parse,
        );
        let contact_emails = self.ok_or_issue(Field::ContactEmails, emails);
        let phones = list(
            self.values[Field::ContactPhones.index()].iter().copied(),
            |value| Phone::parse_with(value, self.phone),
        );
        let contact_phones = self.ok_or_issue(Field::ContactPhones, phones);
        let contact_lists = self.id_list(Field::ContactLists);
        let tags = self.id_list(Field::Tags);
        let targets = Targets {
            contact_emails: contact_emails?,
            contact_phones: contact_phones?,
            contact_lists: contact_lists?,
            tags: tags?,
        };
        if targets.is_empty() {
            self.issue(Field::ContactEmails, IssueKind::Target);
            return None;
        }
        Some(targets)
    }

    fn required<T>(&mut self, field: Field, value: Option<T>) -> Option<T> {
        if value.is_none() && !self.present(field) {
            self.issue(field, IssueKind::Required);
        }
        value
    }

    fn run_sequence(&mut self) -> Option<RunSequence> {
        let sequence_id = self.sequence_id();
        let sequence_id = self.required(Field::SequenceId, sequence_id);
        let targets = self.targets();
        Some(RunSequence {
            sequence_id: sequence_id?,
            targets: targets?,
        })
    }

    fn schedule(&mut self, ctx: &Context) -> Option<ScheduleAppointment> {
        let note = self.text(Field::AppointmentNote);
        let note = self.required(Field::AppointmentNote, note);
        let timestamp = self.scalar(Field::AppointmentTimestamp, |value| {
            resolve_timestamp(value, ctx)
        });
        let timestamp = self.required(Field::AppointmentTimestamp, timestamp);
        let targets = self.targets();
        Some(ScheduleAppointment {
            note: note?,
            timestamp: timestamp?,
            targets: targets?,
        })
    }
}
