//! What the visitor is told, rendered accessibly: inline messages tied to their control with
//! `aria-invalid` and `aria-describedby`, one polite status region per form (`.closem-status`), and the success
//! message (`.closem-success`). The DOM work itself is in `dom.js`; this is the widget's vocabulary.

use crate::dom::{Control, Form};

/// True while the control shows one of the widget's messages.
pub(crate) fn is_marked(control: &Control) -> bool {
    control.is_marked()
}

/// Shows `message` after the control (or after the `<label>` wrapping it, so it is not read as
/// part of the control's name); the site's own `aria-describedby` hints stay.
pub(crate) fn show(control: &Control, message: &str) {
    control.show(message);
}

pub(crate) fn clear(control: &Control) {
    control.clear();
}

pub(crate) fn status(form: &Form, text: &str) {
    form.status(text);
}

/// Replaces the form with the site's `[data-closem-success]` element (inside the form, or next
/// to it as Webflow's `.w-form-done` is), or with `message`; focus follows, because the button
/// that had it is gone.
pub(crate) fn success(form: &Form, message: &str) {
    form.success(message);
}
