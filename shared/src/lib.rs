//! The CLOSEM model shared by the browser widget and the edge Worker: fields and their
//! documented aliases, per-mode rules, normalisation, issues and their messages, and the
//! server-side form profiles. Pure: no I/O, no clock, no platform; every input ends in a
//! typed value or a list of issues, never a panic.
//!
//! `no_std` (with `alloc`) unless the `std` feature is on, so the widget can ship without std's
//! panic and formatting machinery; the edge's `config` feature turns `std` on.

#![cfg_attr(not(any(test, feature = "std")), no_std)]

extern crate alloc;

pub mod attribution;
mod context;
mod email;
mod encode;
mod field;
pub mod i18n;
mod ids;
mod issue;
mod parse;
mod phone;
mod profile;
mod split;
mod submission;
mod timestamp;
mod value;
pub mod wire;

#[cfg(feature = "config")]
mod config;

#[cfg(feature = "config")]
pub use config::{Combined, ConfigError};
pub use context::Context;
pub use email::Email;
pub use field::{resolve_field, Class, Field, Mode};
pub use i18n::{Lang, Text};
pub use ids::{Id, IdList, MAX_LIST_ITEMS};
pub use issue::{issue_code, message, Issue, IssueKind};
pub use parse::{parse, parse_for_mode};
pub use phone::{Country, Phone, PhoneRule, COUNTRIES};
pub use profile::{Accepted, Forms, Profile, Referral, Spam, Unmapped};
pub use submission::{
    AddContact, Contact, Name, RunSequence, ScheduleAppointment, Submission, Targets,
};
pub use timestamp::{
    days_from_civil, local_as_utc, resolve_timestamp, LocalDateTime, TimeInput, MAX_UNIX,
};
pub use value::{check_value, check_visitor_value, MAX_LONG_TEXT, MAX_TEXT};
