//! What validation needs from outside: the current time, the company's timezone, and the form's
//! phone rule.

use crate::phone::PhoneRule;
use crate::timestamp::{local_as_utc, LocalDateTime};

/// The clock and timezone are the caller's, so the crate stays pure and testable.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Now, in UNIX seconds; appointment times must be strictly later.
    pub now: i64,
    /// Turns a wall-clock time in the company's CLOSEM timezone into UNIX seconds, or `None`
    /// when that time does not exist there.
    pub resolve_local: &'a dyn Fn(LocalDateTime) -> Option<i64>,
    /// Which phone numbers the form takes (a profile sets its own in `Profile::accept`).
    pub phone: PhoneRule,
}

impl Context<'static> {
    /// A context that reads wall-clock times as UTC: for tests, and the documented fallback
    /// when the company timezone is unknown.
    pub fn utc(now: i64) -> Context<'static> {
        Context {
            now,
            resolve_local: &local_as_utc,
            phone: PhoneRule::NorthAmerican,
        }
    }
}

impl core::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Context")
            .field("now", &self.now)
            .field("phone", &self.phone)
            .finish_non_exhaustive()
    }
}
