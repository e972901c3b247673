//! Submissions back to the canonical form fields CLOSEM receives.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use crate::field::{Field, Mode};
use crate::submission::{Name, Submission, Targets};
use crate::value::{decimal, join, signed_decimal};

impl Submission {
    pub fn mode(&self) -> Mode {
        match self {
            Submission::AddContact(_) => Mode::AddContact,
            Submission::RunSequence(_) => Mode::RunSequence,
            Submission::ScheduleAppointment(_) => Mode::ScheduleAppointment,
        }
    }

    /// Canonical names and normalised values, `mode` first, absent fields left out, so that
    /// `parse(&submission.encode(), ctx) == Ok(submission)` for any parsed submission.
    pub fn encode(&self) -> Vec<(&'static str, String)> {
        let mut out = Fields(Vec::with_capacity(8));
        out.push(Field::Mode, self.mode().as_str());
        match self {
            Submission::AddContact(add) => {
                if add.upsert {
                    out.push(Field::Upsert, "true");
                }
                let contact = &add.contact;
                out.push_opt(
                    Field::Phone,
                    contact.phone.as_ref().map(|phone| phone.as_str()),
                );
                out.push_opt(
                    Field::Email,
                    contact.email.as_ref().map(|email| email.as_str()),
                );
                match &contact.name {
                    Name::None => {}
                    // CLOSEM ignores first and last when a full name is present, so send it alone.
                    Name::Full(full) => out.push(Field::FullName, full),
                    Name::Parts { first, last } => {
                        out.push_opt(Field::FirstName, first.as_deref());
                        out.push_opt(Field::LastName, last.as_deref());
                    }
                }
                out.push_opt(Field::Notes, contact.notes.as_deref());
                out.push_opt(Field::Address, contact.address.as_deref());
                out.push_opt(Field::City, contact.city.as_deref());
                out.push_opt(Field::State, contact.state.as_deref());
                out.push_opt(Field::Zip, contact.zip.as_deref());
                out.push_nonempty(Field::Tags, add.tags.encode());
                out.push_nonempty(Field::ContactLists, add.contact_lists.encode());
                if let Some(id) = add.sequence_id {
                    out.push(Field::SequenceId, &decimal(id.get()));
                }
            }
            Submission::RunSequence(run) => {
                out.push(Field::SequenceId, &decimal(run.sequence_id.get()));
                out.targets(&run.targets);
            }
            Submission::ScheduleAppointment(appointment) => {
                out.push(Field::AppointmentNote, &appointment.note);
                out.push(
                    Field::AppointmentTimestamp,
                    &signed_decimal(appointment.timestamp),
                );
                out.targets(&appointment.targets);
            }
        }
        out.0
    }
}

struct Fields(Vec<(&'static str, String)>);

impl Fields {
    fn push(&mut self, field: Field, value: &str) {
        self.0.push((field.canonical(), value.to_owned()));
    }

    fn push_opt(&mut self, field: Field, value: Option<&str>) {
        if let Some(value) = value {
            self.push(field, value);
        }
    }

    fn push_nonempty(&mut self, field: Field, value: String) {
        if !value.is_empty() {
            self.0.push((field.canonical(), value));
        }
    }

    fn targets(&mut self, targets: &Targets) {
        self.push_nonempty(
            Field::ContactEmails,
            join(targets.contact_emails.iter().map(|email| email.as_str())),
        );
        self.push_nonempty(
            Field::ContactPhones,
            join(targets.contact_phones.iter().map(|phone| phone.as_str())),
        );
        self.push_nonempty(Field::ContactLists, targets.contact_lists.encode());
        self.push_nonempty(Field::Tags, targets.tags.encode());
    }
}
