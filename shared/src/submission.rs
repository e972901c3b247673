//! The typed result of parsing: one submission per CLOSEM mode, valid by construction when parsed.

use alloc::{string::String, vec::Vec};

use crate::email::Email;
use crate::ids::{Id, IdList};
use crate::phone::Phone;

/// A request CLOSEM will accept. Values from [`crate::parse`] satisfy every documented rule; the
/// fields are public for reading and matching, so hand-built values are the builder's business.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Submission {
    AddContact(AddContact),
    RunSequence(RunSequence),
    ScheduleAppointment(ScheduleAppointment),
}

/// `mode=addcontact`: has a phone, an email, or both.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AddContact {
    pub contact: Contact,
    /// Update the contact if it exists instead of adding a duplicate.
    pub upsert: bool,
    pub tags: IdList,
    pub contact_lists: IdList,
    /// A sequence to copy and run on the new contact.
    pub sequence_id: Option<Id>,
}

/// The person addcontact creates.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Contact {
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub name: Name,
    pub notes: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
}

/// CLOSEM ignores first and last name when a full name is given, so only one shape is kept.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Name {
    None,
    /// A full name; a lone first name works too (`fullname=John`).
    Full(String),
    /// At least one of the two is present.
    Parts {
        first: Option<String>,
        last: Option<String>,
    },
}

/// Who a sequence or an appointment applies to; parsed values have at least one.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Targets {
    pub contact_emails: Vec<Email>,
    pub contact_phones: Vec<Phone>,
    pub contact_lists: IdList,
    pub tags: IdList,
}

impl Targets {
    pub fn is_empty(&self) -> bool {
        self.contact_emails.is_empty()
            && self.contact_phones.is_empty()
            && self.contact_lists.is_empty()
            && self.tags.is_empty()
    }
}

/// `mode=runsequence`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RunSequence {
    pub sequence_id: Id,
    pub targets: Targets,
}

/// `mode=scheduleappointment`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ScheduleAppointment {
    pub note: String,
    /// UNIX seconds, in the future when parsed.
    pub timestamp: i64,
    pub targets: Targets,
}
