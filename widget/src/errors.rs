//! Rendering outcomes accessibly: inline messages tied to their control with `aria-invalid` and
//! `aria-describedby`, one polite status region per form, and the success message.

use std::cell::Cell;

use crate::dom::{self, Control, Element, Form};

/// Ids of the widget's error elements start with this, which is how a control's own message is
/// found again among the site's `aria-describedby` ids, without any state kept on the side.
const ERROR_ID: &str = "closem-e";

pub const ERROR_CLASS: &str = "closem-error";
pub const STATUS_CLASS: &str = "closem-status";
pub const SUCCESS_CLASS: &str = "closem-success";

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

fn described_by(control: &Control) -> String {
    control
        .element()
        .attr("aria-describedby")
        .unwrap_or_default()
}

fn own_error(control: &Control) -> Option<Element> {
    described_by(control)
        .split_ascii_whitespace()
        .find(|id| id.starts_with(ERROR_ID))
        .and_then(Element::by_id)
}

/// True while the control shows one of the widget's messages.
pub fn is_marked(control: &Control) -> bool {
    control.element().attr("aria-invalid").as_deref() == Some("true")
}

pub fn show(control: &Control, message: &str) {
    let element = control.element();
    element.set_attr("aria-invalid", "true");
    if let Some(error) = own_error(control) {
        error.set_text(message);
        return;
    }
    let id = NEXT_ID.with(|next| {
        next.set(next.get() + 1);
        let mut id = String::from(ERROR_ID);
        id.push_str(&dom::decimal(f64::from(next.get())));
        id
    });
    let error = Element::div(ERROR_CLASS, message);
    error.set_attr("id", &id);
    // After the control, or after the label wrapping it (checkboxes, radios), so the message is
    // not read as part of the control's name.
    let anchor = element.closest("label").unwrap_or(element.clone());
    error.insert_after(&anchor);
    // The site's own hints (`aria-describedby="email-help"`) stay; the message is added to them.
    let mut ids = described_by(control);
    if !ids.is_empty() {
        ids.push(' ');
    }
    ids.push_str(&id);
    element.set_attr("aria-describedby", &ids);
}

pub fn clear(control: &Control) {
    let element = control.element();
    element.remove_attr("aria-invalid");
    let Some(error) = own_error(control) else {
        return;
    };
    error.remove();
    let mut kept = String::new();
    for id in described_by(control).split_ascii_whitespace() {
        if !id.starts_with(ERROR_ID) {
            if !kept.is_empty() {
                kept.push(' ');
            }
            kept.push_str(id);
        }
    }
    if kept.is_empty() {
        element.remove_attr("aria-describedby");
    } else {
        element.set_attr("aria-describedby", &kept);
    }
}

/// The form's one polite live region: the site's own `.closem-status` if it placed one, else
/// a new one at the end of the form. It must exist before it speaks, or nothing is announced.
pub fn status_region(form: &Form) -> Element {
    let root = form.element();
    if let Some(region) = root.find(".closem-status") {
        return region;
    }
    let region = Element::div(STATUS_CLASS, "");
    region.set_attr("role", "status");
    region.set_attr("aria-live", "polite");
    root.append(&region);
    region
}

pub fn status(form: &Form, text: &str) {
    status_region(form).set_text(text);
}

/// Replaces the form with the site's `[data-closem-success]` element (inside the form, or next
/// to it as Webflow's `.w-form-done` is), or with a default message; focus follows, because the
/// button that had it is gone.
pub fn success(form: &Form) {
    let root = form.element();
    let shipped = root
        .find("[data-closem-success]")
        .or_else(|| root.parent()?.find("[data-closem-success]"));
    let message = match shipped {
        Some(message) => {
            message.reveal();
            message
        }
        None => Element::div("", "Thank you! Your message has been sent."),
    };
    message.add_class(SUCCESS_CLASS);
    if message.attr("role").is_none() {
        message.set_attr("role", "status");
    }
    message.set_attr("tabindex", "-1");
    root.replace_with(&message);
    message.focus();
}
