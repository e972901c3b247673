//! Checking one control with the same shared rules and messages the edge applies, plus the site's
//! own HTML constraints (`required`, `pattern`, ...) that `novalidate` leaves to the widget. Pure:
//! `dom.js` reads the control and asks through `rules.rs`, so these decisions are tested natively.

use alloc::string::String;
use closem_shared::{
    check_visitor_value, issue_code, local_as_utc, resolve_field, Context, Field, IssueKind,
    LocalDateTime, PhoneRule, Text,
};

/// What `dom.js` read of one control.
#[derive(Default)]
pub(crate) struct Control<'a> {
    /// The name it is sent and reported under (its `name`, else its `id`), "" when it has neither.
    pub name: &'a str,
    /// Its `data-closem-field` hint, "" when none.
    pub hint: &'a str,
    /// Its `autocomplete` attribute, "" when none.
    pub autocomplete: &'a str,
    /// Its `type` as the browser normalises it (`text`, `email`, `select-one`, ...).
    pub kind: &'a str,
    /// The value to check and send (a `datetime-local` value already as UNIX seconds).
    pub value: &'a str,
    /// Its form's `data-closem-phone`, "" when none.
    pub phone: &'a str,
    pub disabled: bool,
    pub required: bool,
    /// The browser's own `required` check, which knows radio groups, checkboxes and selects.
    pub missing: bool,
    /// The browser finds it invalid by the site's other constraints (`pattern`, `min`, `type=url`,
    /// ...); its own message then says why.
    pub invalid: bool,
    /// The visitor is leaving a control that shows no message yet: a missing required value is
    /// not scolded for merely tabbing past it.
    pub leaving: bool,
}

/// The verdict on one control.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not the widget's to check: nameless, disabled, not typed by the visitor (hidden, buttons),
    /// or a control field (mode, tags, lists...), which only the edge's profile decides.
    Unchecked,
    Fine,
    /// Its code (`email.format`, as the edge codes it) and its message; `None` for a site
    /// constraint the shared model does not know, which the browser's own words describe.
    Problem {
        code: String,
        text: Option<Text>,
    },
}

/// The CLOSEM field a control feeds, by the precedence the edge applies too
/// (`closem_shared::resolve_field`: hint, profile mapping, alias, `autocomplete`), except that the
/// profile's mapping is known at the edge only; then, for other names, what `type=email` promises.
pub(crate) fn field_of(control: &Control) -> Option<Field> {
    resolve_field(
        given(control.hint),
        None,
        control.name,
        given(control.autocomplete),
    )
    .or_else(|| (control.kind == "email").then_some(Field::Email))
}

/// An attribute `dom.js` sent as "" when absent.
fn given(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

pub(crate) fn check(control: &Control, now: i64) -> Verdict {
    let field = field_of(control);
    let untyped = matches!(
        control.kind,
        "hidden" | "submit" | "reset" | "button" | "image"
    );
    if control.name.is_empty()
        || control.disabled
        || untyped
        || field.is_some_and(Field::is_control)
    {
        return Verdict::Unchecked;
    }
    let typed = !matches!(control.kind, "checkbox" | "radio" | "file");
    let blank = control.value.trim().is_empty();
    let phone = PhoneRule::from_attribute(given(control.phone));
    if control.missing || (typed && blank && control.required) {
        if control.leaving {
            return Verdict::Fine;
        }
        return problem(control, field, IssueKind::Required, phone);
    }
    if let Some(field) = field.filter(|_| typed && !blank) {
        let context = Context {
            now,
            resolve_local: &latest_instant,
            phone,
        };
        if let Err(kind) = check_visitor_value(field, control.value, &context) {
            return problem(control, Some(field), kind, phone);
        }
    }
    if control.invalid {
        return Verdict::Problem {
            code: issue_code(field, control.name, IssueKind::Format),
            text: None,
        };
    }
    Verdict::Fine
}

fn problem(control: &Control, about: Option<Field>, kind: IssueKind, phone: PhoneRule) -> Verdict {
    Verdict::Problem {
        code: issue_code(about, control.name, kind),
        text: Some(Text::of(about, kind, phone)),
    }
}

/// A wall-clock string (`06/01/2030 09:30 AM`) is in the company's timezone, which only the edge
/// knows; reading it as the latest instant it can mean anywhere (UTC-12) means the widget never
/// calls "past" a time the edge would accept.
fn latest_instant(local: LocalDateTime) -> Option<i64> {
    local_as_utc(local).map(|seconds| seconds + 12 * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(value: &str) -> Control<'_> {
        Control {
            name: "email",
            kind: "email",
            value,
            ..Control::default()
        }
    }

    #[test]
    fn a_bad_email_has_the_shared_code_and_message() {
        assert_eq!(
            check(&email("ada-at-example"), 0),
            Verdict::Problem {
                code: "email.format".into(),
                text: Some(Text::EmailFormat)
            }
        );
        assert_eq!(check(&email("ada@example.com"), 0), Verdict::Fine);
    }

    #[test]
    fn a_missing_required_value_waits_while_the_visitor_only_tabs_past() {
        let blank = Control {
            required: true,
            ..email("")
        };
        assert!(matches!(check(&blank, 0), Verdict::Problem { .. }));
        let leaving = Control {
            leaving: true,
            ..blank
        };
        assert_eq!(check(&leaving, 0), Verdict::Fine);
    }

    #[test]
    fn control_fields_hidden_and_nameless_controls_are_not_checked() {
        for control in [
            Control {
                name: "tags",
                value: "x",
                ..Control::default()
            },
            Control {
                kind: "hidden",
                ..email("x")
            },
            Control {
                name: "",
                ..email("x")
            },
            Control {
                disabled: true,
                ..email("x")
            },
        ] {
            assert_eq!(check(&control, 0), Verdict::Unchecked, "{}", control.name);
        }
    }

    #[test]
    fn the_forms_phone_rule_decides_which_numbers_pass() {
        let uk = |phone| Control {
            name: "phone",
            kind: "tel",
            value: "+44 20 7946 0958",
            phone,
            ..Control::default()
        };
        assert!(matches!(check(&uk(""), 0), Verdict::Problem { .. }));
        assert_eq!(check(&uk("international"), 0), Verdict::Fine);
    }

    #[test]
    fn a_site_constraint_is_coded_by_field_and_told_by_the_browser() {
        let control = Control {
            name: "your-name",
            hint: "fullname",
            value: "A",
            invalid: true,
            ..Control::default()
        };
        assert_eq!(
            check(&control, 0),
            Verdict::Problem {
                code: "fullname.format".into(),
                text: None
            }
        );
    }
}
