//! Problems found in a submission, and every human message about them.

use alloc::{borrow::ToOwned, string::String};

use core::fmt;

use crate::field::Field;

/// One problem with one field; a rejected submission carries all of them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Issue {
    /// The input name to attach the message to: the site's own input name when the visitor used
    /// one (e.g. `your-email`), else the canonical CLOSEM name.
    pub field: String,
    pub kind: IssueKind,
    /// The CLOSEM field the issue is about, which picks the message; `field` alone cannot,
    /// because it may be a site's own input name.
    pub about: Option<Field>,
}

/// What is wrong; `as_str` is the stable code suffix clients match on.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum IssueKind {
    /// A field the request needs is missing or empty.
    Required,
    /// The value does not have the shape the field needs (phone, email, id, timestamp, boolean).
    Format,
    /// A single-value field was given twice with different values.
    Conflict,
    /// More values than the field takes, e.g. more than one sequence id.
    Multiple,
    /// The appointment time is not in the future.
    Past,
    /// The value, or the list, is longer than allowed.
    TooLong,
    /// The value is not one of the known choices, e.g. an unknown mode.
    Unknown,
    /// A visitor sent a control field to a strict profile.
    Control,
    /// addcontact needs a phone number or an email address.
    Contact,
    /// runsequence and scheduleappointment need a contact email, contact phone, contact list or tag.
    Target,
}

impl IssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Required => "required",
            IssueKind::Format => "format",
            IssueKind::Conflict => "conflict",
            IssueKind::Multiple => "multiple",
            IssueKind::Past => "past",
            IssueKind::TooLong => "too_long",
            IssueKind::Unknown => "unknown",
            IssueKind::Control => "control",
            IssueKind::Contact => "contact",
            IssueKind::Target => "target",
        }
    }
}

impl fmt::Display for IssueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Issue {
    /// An issue about a CLOSEM field, placed on its canonical name.
    pub fn new(field: Field, kind: IssueKind) -> Issue {
        Issue {
            field: field.canonical().to_owned(),
            kind,
            about: Some(field),
        }
    }

    /// An issue about an input that is not (or not only) a CLOSEM field.
    pub fn named(name: &str, kind: IssueKind, about: Option<Field>) -> Issue {
        Issue {
            field: name.to_owned(),
            kind,
            about,
        }
    }

    /// `{field}.{kind}`, e.g. `phone.format`, naming the CLOSEM field by its canonical name even
    /// when the site's input has its own name (`your-email` gives `email.format`): codes stay the
    /// same across sites, for clients and analytics; `field` says where to show the message.
    pub fn code(&self) -> String {
        issue_code(self.about, &self.field, self.kind)
    }

    pub fn message(&self) -> &'static str {
        message(self.about, self.kind)
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message())
    }
}

/// Every message the widget and the edge show, in one place so both say the same words:
/// lowercase, no trailing period, saying what to do.
pub fn message(about: Option<Field>, kind: IssueKind) -> &'static str {
    use Field as F;
    use IssueKind as K;
    match (about, kind) {
        (Some(F::Phone | F::ContactPhones), K::Format) => "phone must look like +1 (555) 444-3333",
        (Some(F::Email | F::ContactEmails), K::Format) => {
            "enter an email address like name@example.com"
        }
        (Some(F::Phone), K::Required) => "enter a phone number",
        (Some(F::Email), K::Required) => "enter an email address",
        (Some(F::AppointmentTimestamp), K::Format) => "use MM/DD/YYYY HH:MM AM or a UNIX timestamp",
        (Some(F::AppointmentTimestamp), K::Required) => "choose a time for the appointment",
        (Some(F::AppointmentNote), K::Required) => "enter a note for the appointment",
        (Some(F::SequenceId), K::Format) => "use one numeric sequence id",
        (Some(F::SequenceId), K::Multiple) => "use only one sequence id",
        (Some(F::SequenceId), K::Required) => "choose the sequence to run",
        (Some(F::Tags | F::ContactLists), K::Format) => "use numeric ids separated by commas",
        (Some(F::Tags | F::ContactLists | F::ContactEmails | F::ContactPhones), K::TooLong) => {
            "list at most 100 items"
        }
        (Some(F::Notes | F::AppointmentNote), K::TooLong) => {
            "shorten this to 2000 characters or fewer"
        }
        (Some(F::Upsert), K::Format) => "use true or false",
        (
            Some(
                F::FullName
                | F::FirstName
                | F::LastName
                | F::Notes
                | F::Address
                | F::City
                | F::State
                | F::Zip
                | F::AppointmentNote,
            ),
            K::Format,
        ) => "remove the invisible control characters from this text",
        (Some(F::Mode), K::Required | K::Unknown) => {
            "use mode addcontact, runsequence or scheduleappointment"
        }
        (_, K::Contact) => "enter a phone number or an email address",
        (_, K::Target) => "name a contact email, contact phone, contact list or tag",
        (_, K::Past) => "choose a time in the future",
        (_, K::Control) => "remove this field: the form's settings decide it",
        (_, K::Conflict) => "give this field one value only",
        (_, K::Multiple) => "give one value only",
        (_, K::TooLong) => "shorten this to 256 characters or fewer",
        (_, K::Required) => "fill in this field",
        (_, K::Unknown) => "choose one of the offered values",
        (_, K::Format) => "check the format of this value",
    }
}

/// An issue's code, `{field}.{kind}` (see [`Issue::code`]): the CLOSEM field's canonical name when
/// the issue is about one, else the input's name. The widget codes its own findings with it, so
/// its `closem:error` codes are the edge's.
pub fn issue_code(about: Option<Field>, input: &str, kind: IssueKind) -> String {
    let name: &str = match about {
        Some(field) => field.canonical(),
        None => input,
    };
    let mut code = String::with_capacity(name.len() + 1 + 8);
    code.push_str(name);
    code.push('.');
    code.push_str(kind.as_str());
    code
}
