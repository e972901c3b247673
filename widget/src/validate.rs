//! Checking controls with the same shared rules and messages the edge applies, plus the site's
//! own HTML constraints (`required`, `pattern`, ...) that `novalidate` leaves to the widget.

use alloc::string::String;
use closem_shared::i18n::en;
use closem_shared::{
    check_visitor_value, issue_code, local_as_utc, resolve_field, Context, Field, IssueKind,
    LocalDateTime, PhoneRule, Text,
};

use crate::dom::{self, Control};
use crate::feedback;

/// Why a check runs: leaving a field should not scold a visitor who merely tabbed past it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    Leave,
    Submit,
}

/// One problem with one control: its code (`email.format`, as the edge codes it) and its message
/// in the form's language (the site's `data-closem-message-<code>`, the language's catalogue, or
/// the shared English; or the browser's words for a site constraint the shared model does not
/// know, such as `pattern`).
pub(crate) struct Problem {
    pub code: String,
    pub message: String,
}

/// The CLOSEM field a control feeds, by the precedence the edge applies too
/// (`closem_shared::resolve_field`: hint, profile mapping, alias, `autocomplete`), except that the
/// profile's mapping is known at the edge only; then, for other names, what `type=email` promises.
pub(crate) fn field_of(control: &Control) -> Option<Field> {
    resolve_field(
        control.hint().as_deref(),
        None,
        &control.name(),
        control.autocomplete().as_deref(),
    )
    .or_else(|| (control.kind() == "email").then_some(Field::Email))
}

/// Controls the widget checks: named (or with an id), enabled, typed by the visitor, and not a control field
/// (mode, tags, lists...), which only the edge's profile decides.
pub(crate) fn is_checked(control: &Control) -> bool {
    if control.name().is_empty() || control.is_disabled() {
        return false;
    }
    if matches!(
        control.kind().as_str(),
        "hidden" | "submit" | "reset" | "button" | "image"
    ) {
        return false;
    }
    !field_of(control).is_some_and(Field::is_control)
}

/// The value to check and send: a `datetime-local` value becomes UNIX seconds in the visitor's
/// own timezone, which the edge cannot know.
pub(crate) fn sent_value(control: &Control) -> String {
    let value = control.value();
    if control.kind() == "datetime-local" && !value.is_empty() {
        return dom::local_seconds(&value).unwrap_or(value);
    }
    value
}

pub(crate) fn check(control: &Control, when: When) -> Option<Problem> {
    let field = field_of(control);
    let kind = control.kind();
    let value = sent_value(control);
    let typed = !matches!(kind.as_str(), "checkbox" | "radio" | "file");
    let blank = value.trim().is_empty();
    if control.is_missing() || (typed && blank && control.is_required()) {
        if when == When::Leave && !feedback::is_marked(control) {
            return None;
        }
        return Some(problem(control, field, IssueKind::Required));
    }
    if let Some(field) = field.filter(|_| typed && !blank) {
        let now = dom::now_seconds();
        let context = Context {
            now,
            resolve_local: &latest_instant,
            phone: phone_rule(control),
        };
        if let Err(kind) = check_visitor_value(field, &value, &context) {
            return Some(problem(control, Some(field), kind));
        }
    }
    control.browser_problem().map(|message| Problem {
        code: issue_code(field, &control.name(), IssueKind::Format),
        message,
    })
}

/// The phone rule of the control's form (`data-closem-phone`), which its profile names too.
fn phone_rule(control: &Control) -> PhoneRule {
    PhoneRule::from_attribute(control.form_attr("data-closem-phone").as_deref())
}

fn problem(control: &Control, about: Option<Field>, kind: IssueKind) -> Problem {
    let code = issue_code(about, &control.name(), kind);
    let text = Text::of(about, kind, phone_rule(control));
    Problem {
        message: control.say(
            &code,
            text.index() as i32,
            en::widget_text(text).unwrap_or_default(),
        ),
        code,
    }
}

/// A wall-clock string (`06/01/2030 09:30 AM`) is in the company's timezone, which only the edge
/// knows; reading it as the latest instant it can mean anywhere (UTC-12) means the widget never
/// calls "past" a time the edge would accept.
fn latest_instant(local: LocalDateTime) -> Option<i64> {
    local_as_utc(local).map(|seconds| seconds + 12 * 3600)
}

/// Re-checks one control and shows or clears its message.
pub(crate) fn refresh(control: &Control, when: When) -> Option<Problem> {
    let problem = check(control, when);
    match &problem {
        Some(problem) => feedback::show(control, &problem.message),
        None => feedback::clear(control),
    }
    problem
}
