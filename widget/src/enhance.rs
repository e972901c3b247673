//! Form lifecycle: which forms are enhanced, exactly once each, including forms added later, and
//! dropping a form's listeners when it leaves the page.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use spin::mutex::SpinMutex;

use crate::dom::{Event, Form, Handler};
use crate::errors;
use crate::submit;
use crate::validate::{self, When};

/// One enhanced form. Dropping it removes its listeners and its mark.
struct Enhanced {
    form: Form,
    handler: Handler,
}

impl Drop for Enhanced {
    fn drop(&mut self) {
        self.form.release(&self.handler);
    }
}

struct Widget {
    endpoint: String,
    forms: Vec<Enhanced>,
    /// Made on the first boot and shared by every form and the document observer: one closure
    /// for the page, not three per form.
    handler: Option<Handler>,
}

/// The page is single threaded, so the lock is never contended; it is held briefly and never
/// while the widget's own handler could run (events and observer records are delivered later).
static WIDGET: SpinMutex<Widget> = SpinMutex::new(Widget {
    endpoint: String::new(),
    forms: Vec::new(),
    handler: None,
});

/// Starts the widget against `endpoint` (the edge's origin); safe to call again, which only
/// changes the endpoint and looks for new forms.
pub fn boot(endpoint: &str) {
    let first = {
        let mut widget = WIDGET.lock();
        widget.endpoint = endpoint.to_owned();
        // `data-endpoint="https://forms.example/"` and without the slash mean the same.
        while widget.endpoint.ends_with('/') {
            widget.endpoint.pop();
        }
        match widget.handler {
            Some(_) => None,
            None => Some(widget.handler.insert(Handler::new(on_event)).clone()),
        }
    };
    refresh();
    if let Some(handler) = first {
        // For the page's lifetime: single-page apps add and remove forms.
        handler.observe_document();
        // Submissions an earlier page of the site could not deliver go now.
        handler.retry_outbox();
    }
}

/// Where to post, and the handler the answer goes to.
pub fn endpoint() -> (String, Option<Handler>) {
    let widget = WIDGET.lock();
    (widget.endpoint.clone(), widget.handler.clone())
}

pub fn live_forms() -> usize {
    WIDGET.lock().forms.len()
}

/// Drops the state of forms that left the page or lost `data-closem`, then enhances forms that
/// arrived or gained it.
fn refresh() {
    let arrived = Form::unenhanced();
    let mut widget = WIDGET.lock();
    widget.forms.retain(|enhanced| enhanced.form.is_live());
    let Some(handler) = widget.handler.clone() else {
        return;
    };
    for form in arrived {
        form.enhance(&handler);
        widget.forms.push(Enhanced {
            form,
            handler: handler.clone(),
        });
    }
}

/// Every form event and every document change (`None`) comes here.
fn on_event(event: Option<Event>) {
    let Some(event) = event else {
        return refresh();
    };
    let form = event.form();
    match event.kind().as_str() {
        "submit" => submit::on_submit(&form, &event),
        "answer" => submit::finish(&event),
        "focusout" => {
            if let Some(control) = event.control().filter(validate::is_checked) {
                validate::refresh(&control, When::Leave);
            }
        }
        // While a message shows, typing re-checks so it clears as soon as the value is right; no
        // new message appears while typing.
        _ => {
            if let Some(control) = event.control().filter(errors::is_marked) {
                if validate::is_checked(&control) {
                    validate::refresh(&control, When::Leave);
                } else {
                    errors::clear(&control);
                }
            }
        }
    }
}
