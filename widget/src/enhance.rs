//! Form lifecycle: which forms are enhanced, exactly once each, including forms added later, and
//! dropping a form's listeners when it leaves the page.

use std::cell::RefCell;

use crate::dom::{Form, Listener, Observer};
use crate::errors;
use crate::submit;
use crate::validate::{self, When};

/// One enhanced form. Dropping it removes its listeners and its mark.
struct Enhanced {
    form: Form,
    _listeners: [Listener; 3],
}

impl Drop for Enhanced {
    fn drop(&mut self) {
        self.form.unmark();
    }
}

#[derive(Default)]
struct Widget {
    endpoint: String,
    forms: Vec<Enhanced>,
    observer: Option<Observer>,
}

thread_local! {
    static WIDGET: RefCell<Widget> = RefCell::default();
}

/// Starts the widget against `endpoint` (the edge's origin); safe to call again, which only
/// changes the endpoint and looks for new forms.
pub fn boot(endpoint: &str) {
    let needs_observer = WIDGET.with_borrow_mut(|widget| {
        widget.endpoint = endpoint.to_owned();
        // `data-endpoint="https://forms.example/"` and without the slash mean the same.
        while widget.endpoint.ends_with('/') {
            widget.endpoint.pop();
        }
        widget.observer.is_none()
    });
    if needs_observer {
        // Owned by the widget for the page's lifetime; single-page apps add and remove forms.
        let observer = Observer::document(refresh);
        WIDGET.with_borrow_mut(|widget| widget.observer = observer);
    }
    refresh();
}

pub fn endpoint() -> String {
    WIDGET.with_borrow(|widget| widget.endpoint.clone())
}

pub fn live_forms() -> usize {
    WIDGET.with_borrow(|widget| widget.forms.len())
}

/// Drops the state of forms that left the page, then enhances forms that arrived.
fn refresh() {
    let arrived = Form::unenhanced();
    WIDGET.with_borrow_mut(|widget| {
        widget.forms.retain(|enhanced| enhanced.form.is_connected());
        widget.forms.extend(arrived.into_iter().map(enhance));
    });
}

fn enhance(form: Form) -> Enhanced {
    form.mark_ready();
    errors::status_region(&form);
    let on_submit = {
        let form = form.clone();
        move |event| submit::on_submit(&form, &event)
    };
    let on_leave = |event: crate::dom::Event| {
        if let Some(control) = event.control().filter(validate::is_checked) {
            validate::refresh(&control, When::Leave);
        }
    };
    // While a message shows, typing re-checks so it clears as soon as the value is right; no new
    // message appears while typing.
    let on_input = |event: crate::dom::Event| {
        if let Some(control) = event.control().filter(errors::is_marked) {
            if validate::is_checked(&control) {
                validate::refresh(&control, When::Leave);
            } else {
                errors::clear(&control);
            }
        }
    };
    Enhanced {
        _listeners: [
            form.listen("submit", on_submit),
            form.listen("focusout", on_leave),
            form.listen("input", on_input),
        ],
        form,
    }
}
