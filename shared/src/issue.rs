//! Problems found in a submission; their messages are in `i18n/`, one catalogue per language.

use alloc::{borrow::ToOwned, string::String};

use core::fmt;

use crate::field::Field;
use crate::i18n::{en, Text};
use crate::phone::PhoneRule;

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

    /// Which message this issue gets on a form with phone rule `phone`.
    pub fn text(&self, phone: PhoneRule) -> Text {
        Text::of(self.about, self.kind, phone)
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message())
    }
}

/// The English message for an issue under the North American phone rule; every language and
/// rule is [`Text::of`] with [`Lang::text`](crate::Lang::text). Messages are lowercase, with no
/// trailing period, and say what to do.
pub fn message(about: Option<Field>, kind: IssueKind) -> &'static str {
    en::text(Text::of(about, kind, PhoneRule::NorthAmerican))
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
