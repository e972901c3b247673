//! A submit, start to finish: check every control, post the form to the edge with fetch, and
//! show what the edge answered (success, issues on their fields, or a form-level status). A
//! submission the edge did not answer for good waits in the outbox (`dom.js`) and is sent again,
//! under the same idempotency key, when the browser is back online or the site is next loaded;
//! its answer comes through [`finish`] too.

use crate::dom::{self, Control, Event, Form, FormData};
use crate::validate::{self, When};
use crate::{events, feedback, router};
use alloc::string::String;
use alloc::vec::Vec;
use closem_shared::i18n::en;
use closem_shared::wire::{answer, code, Disposition};
use closem_shared::{Field, Text};
use wasm_bindgen::JsValue;

/// Codes of the widget's own form-level messages, by which a site overrides them
/// (`data-closem-message-form.check`); `network` and `network.queued` are the wire's.
const CHECK_FIELDS: &str = "form.check";
const SENDING: &str = "form.sending";
const FAILED: &str = "form.failed";
const SUCCESS: &str = "form.success";

/// A form-level message in the form's language.
fn say(form: &Form, code: &str, text: Text) -> String {
    form.say(
        code,
        text.index() as i32,
        en::widget_text(text).unwrap_or_default(),
    )
}

pub(crate) fn on_submit(form: &Form, event: &Event) {
    // Always: a second click while busy must not fall through to a native post either.
    event.prevent_default();
    if form.is_busy() {
        return;
    }
    let controls = form.controls();
    let mut invalid: Vec<Control> = Vec::new();
    let mut issues = Vec::new();
    for control in &controls {
        if !validate::is_checked(control) {
            // Only the edge reports on these (e.g. a control field on a strict profile); its
            // message from the last attempt is stale now.
            feedback::clear(control);
            continue;
        }
        let name = control.name();
        // A radio group is one question: one message, on its first radio.
        if invalid.iter().any(|seen| seen.name() == name) {
            continue;
        }
        if let Some(problem) = validate::refresh(control, When::Submit) {
            // Codes name the CLOSEM field, as the edge's do (`email.format` for `your-email`).
            issues.push(events::issue(Some(&name), &problem.code, &problem.message));
            invalid.push(control.clone());
        }
    }
    if let Some(first) = invalid.first() {
        first.focus();
        feedback::status(form, &say(form, CHECK_FIELDS, Text::CheckFields));
        events::error(form, 0, &dom::array(issues));
        return;
    }

    let data = form.data();
    adjust(&data, &controls);
    let (endpoint, Some(handler)) = router::endpoint() else {
        return;
    };
    form.set_busy(true);
    feedback::status(form, &say(form, SENDING, Text::Sending));
    events::submit(form);
    form.post(&endpoint, &data, &handler);
}

/// What the widget sends differs from the native post in one way only: `datetime-local` values
/// become UNIX seconds, since only the browser knows the visitor's timezone. Names stay the site's
/// own: the edge's profile `fields` map is authoritative (a `data-closem-field` hint only guides
/// the checks here), so JavaScript and native posts reach CLOSEM the same way.
fn adjust(data: &FormData, controls: &[Control]) {
    for control in controls {
        let name = control.name();
        if !name.is_empty() && !control.is_disabled() && control.kind() == "datetime-local" {
            data.set(&name, &validate::sent_value(control));
        }
    }
}

/// What the edge answered, read by the wire contract's keys (`closem_shared::wire`).
struct EdgeAnswer {
    status: u16,
    disposition: Disposition,
    /// The submission id, when accepted.
    id: JsValue,
    /// The answer's `issues` array as it came (for `closem:error`), and its items.
    issues: JsValue,
    items: Vec<JsValue>,
}

fn read_answer(event: &Event) -> EdgeAnswer {
    let raw = event.answer();
    let get = |object: &JsValue, key: &str| dom::get(object, key);
    let issues = get(&raw.body, answer::ISSUES);
    let items = dom::items(&issues);
    let codes: Vec<String> = items
        .iter()
        .filter_map(|issue| get(issue, answer::CODE).as_string())
        .collect();
    let ok = get(&raw.body, answer::OK).as_bool() == Some(true);
    EdgeAnswer {
        status: raw.status,
        disposition: Disposition::of(raw.status, ok, codes.iter().map(String::as_str)),
        id: get(&raw.body, answer::ID),
        issues: if issues.is_object() {
            issues
        } else {
            dom::array(Vec::new())
        },
        items,
    }
}

/// Settles the outbox entry an `answer` is for (forgotten when final, kept to send again, parked
/// until a new challenge when Turnstile refused it), then shows the answer on the form that sent
/// it, if that is still on the page.
pub(crate) fn finish(event: &Event) {
    let answer = read_answer(event);
    match answer.disposition {
        Disposition::Retry => {}
        Disposition::Rechallenge => event.park(),
        _ => event.forget(),
    }
    let Some(form) = event.sender() else {
        return;
    };
    form.set_busy(false);
    let kept = event.is_kept();
    if answer.disposition == Disposition::Retry && (kept || answer.status == 0) {
        // A retry's form already says what happened the first time.
        if !event.is_retry() {
            let (code, text) = if kept {
                (code::QUEUED, Text::Queued)
            } else {
                (code::NETWORK, Text::Network)
            };
            let text = say(&form, code, text);
            feedback::status(&form, &text);
            let issue = events::issue(None, code, &text);
            events::error(&form, answer.status, &dom::array(alloc::vec![issue]));
        }
        return;
    }
    if answer.disposition == Disposition::Accepted {
        // Fired before the form leaves the page, while the event can still bubble to document.
        events::success(&form, &answer.id);
        feedback::success(&form, &say(&form, SUCCESS, Text::Success));
        return;
    }
    show_problems(&form, &answer);
}

/// Puts each of the answer's problems on its control (or, when it names none, in the status
/// line), focuses the first control at fault, and fires `closem:error`.
fn show_problems(form: &Form, answer: &EdgeAnswer) {
    let controls = form.controls();
    let mut first: Option<Control> = None;
    let mut form_level = String::new();
    for issue in &answer.items {
        // The edge wrote it in the visitor's language; the site's own words for its code win.
        let message = dom::get(issue, answer::MESSAGE)
            .as_string()
            .unwrap_or_default();
        let code = dom::get(issue, answer::CODE)
            .as_string()
            .unwrap_or_default();
        let message = form.say(&code, -1, &message);
        let field = dom::get(issue, answer::FIELD).as_string();
        match field.and_then(|field| control_for(&controls, &field)) {
            Some(control) => {
                feedback::show(&control, &message);
                first.get_or_insert(control);
            }
            None => {
                if !form_level.is_empty() {
                    form_level.push_str("; ");
                }
                form_level.push_str(&message);
            }
        }
    }
    if form_level.is_empty() {
        let (code, text) = if first.is_some() {
            (CHECK_FIELDS, Text::CheckFields)
        } else {
            (FAILED, Text::Failed)
        };
        form_level.push_str(&say(form, code, text));
    }
    feedback::status(form, &form_level);
    if let Some(first) = first {
        first.focus();
    }
    events::error(form, answer.status, &answer.issues);
}

/// The control an edge issue is about: the edge names the input as it was sent (the site's own
/// name), or a CLOSEM field (a profile's `required` field the form has under a hinted name).
fn control_for(controls: &[Control], field: &str) -> Option<Control> {
    let by_name = controls.iter().find(|control| control.name() == field);
    let by_field = || {
        let wanted = Field::from_name(field)?;
        controls
            .iter()
            .find(|control| validate::field_of(control) == Some(wanted))
    };
    by_name.or_else(by_field).cloned()
}
