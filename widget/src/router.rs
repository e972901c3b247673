//! The widget's start and its one event handler. Which forms are enhanced, exactly once each
//! (including forms added or marked later, and releasing those that leave), is `dom.js`'s job, done
//! as soon as the script runs; this module routes every event to the step that handles it.

use alloc::borrow::ToOwned;
use alloc::string::String;

use spin::mutex::SpinMutex;

use crate::dom::{self, Event, Handler};
use crate::feedback;
use crate::submit;
use crate::validate::{self, When};

struct Widget {
    endpoint: String,
    /// Made on the first boot and shared by every form: one closure for the page.
    handler: Option<Handler>,
}

/// The page is single threaded, so the lock is never contended; it is held briefly and never
/// while the widget's own handler could run (events are delivered later).
static WIDGET: SpinMutex<Widget> = SpinMutex::new(Widget {
    endpoint: String::new(),
    handler: None,
});

/// Starts the widget against `endpoint` (the edge's origin); safe to call again, which only
/// changes the endpoint.
pub(crate) fn boot(endpoint: &str) {
    let first = {
        let mut widget = WIDGET.lock();
        widget.endpoint = endpoint.to_owned();
        // `data-endpoint="https://forms.example/"` and without the slash mean the same.
        while widget.endpoint.ends_with('/') {
            widget.endpoint.pop();
        }
        widget.handler.is_none()
    };
    if first {
        // Outside the lock: installing replays held submits, which read the endpoint.
        let handler = Handler::install(on_event);
        WIDGET.lock().handler = Some(handler);
    }
}

/// Where to post, and the handler the answer goes to.
pub(crate) fn endpoint() -> (String, Option<Handler>) {
    let widget = WIDGET.lock();
    (widget.endpoint.clone(), widget.handler.clone())
}

pub(crate) fn live_forms() -> usize {
    dom::enhanced_forms()
}

/// Every form event comes here.
fn on_event(event: Event) {
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
            if let Some(control) = event.control().filter(feedback::is_marked) {
                if validate::is_checked(&control) {
                    validate::refresh(&control, When::Leave);
                } else {
                    feedback::clear(&control);
                }
            }
        }
    }
}
