//! The one module that talks to the page: it binds `dom.js`, the widget's DOM plumbing in a few
//! small script functions, and gives the rest of the widget `Form`, `Control`, `Event` and plain
//! Rust values. One script function per job instead of a web-sys binding per DOM call: each
//! binding is an import with glue on both sides, which cost most of the download.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/dom.js")]
extern "C" {
    fn controls(form: &JsValue) -> Vec<JsValue>;
    fn key(control: &JsValue) -> String;
    fn ready(widget: JsValue) -> JsValue;
    fn enhanced() -> u32;
    fn target(event: &JsValue) -> Option<JsValue>;
    fn prevent(event: &JsValue);
    /// A fresh JS object for event details.
    pub fn object() -> JsValue;
    #[wasm_bindgen(js_name = list)]
    pub fn array(items: Vec<JsValue>) -> JsValue;
    fn text(object: &JsValue, name: &str) -> String;
    fn flag(object: &JsValue, name: &str) -> bool;
    /// `object[key]`, or `undefined` when `object` is not an object.
    #[wasm_bindgen(js_name = prop)]
    pub fn get(object: &JsValue, key: &str) -> JsValue;
    #[wasm_bindgen(js_name = put)]
    pub fn set(object: &JsValue, key: &str, value: &JsValue);
    fn attr(element: &JsValue, name: &str) -> Option<String>;
    fn missing(control: &JsValue) -> bool;
    fn problem(control: &JsValue) -> Option<String>;
    fn status(form: &JsValue, text: &str);
    fn marked(control: &JsValue) -> bool;
    fn show(control: &JsValue, message: &str);
    fn clear(control: &JsValue);
    fn busy(form: &JsValue) -> bool;
    #[wasm_bindgen(js_name = setBusy)]
    fn set_busy(form: &JsValue, busy: bool);
    fn success(form: &JsValue, message: &str);
    /// A message in the form's language: the site's `data-closem-message-<code>` on the form of
    /// `node`, else entry `index` of the language's catalogue, else `text` (English).
    fn say(node: &JsValue, code: &str, index: i32, text: &str) -> String;
    fn focus(element: &JsValue);
    fn fire(form: &JsValue, name: &str, detail: &JsValue);
    /// One issue as the edge writes it: `{field, code, message}`, `field` null for the whole form.
    pub fn issue(field: Option<&str>, code: &str, message: &str) -> JsValue;
    /// The items of a JS array (nothing when `value` is not one).
    pub fn items(value: &JsValue) -> Vec<JsValue>;
    fn data(form: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = set)]
    fn set_entry(data: &JsValue, name: &str, value: &str);
    fn post(endpoint: &str, form: &JsValue, data: &JsValue, handler: &JsValue);
    fn forget(answer: &JsValue);
    fn park(answer: &JsValue);
    fn now() -> f64;
    /// A `datetime-local` value (`2030-06-01T09:30`) read in the visitor's timezone, as UNIX
    /// seconds.
    #[wasm_bindgen(js_name = localSeconds)]
    pub fn local_seconds(value: &str) -> Option<String>;
}

/// One form control the visitor fills in: an `<input>`, `<select>` or `<textarea>`.
#[derive(Clone)]
pub(crate) struct Control(JsValue);

impl Control {
    /// The name the control is sent and reported under: its `name`, or its `id` when it has no
    /// name; "" when it has neither (such a control is neither checked nor sent).
    pub(crate) fn name(&self) -> String {
        key(&self.0)
    }

    pub(crate) fn value(&self) -> String {
        text(&self.0, "value")
    }

    /// The `type` attribute as the browser normalises it (`text`, `email`, `select-one`, ...).
    pub(crate) fn kind(&self) -> String {
        text(&self.0, "type")
    }

    pub(crate) fn hint(&self) -> Option<String> {
        attr(&self.0, "data-closem-field")
    }

    /// The `autocomplete` attribute, whose token hints a CLOSEM field.
    pub(crate) fn autocomplete(&self) -> Option<String> {
        attr(&self.0, "autocomplete")
    }

    pub(crate) fn is_disabled(&self) -> bool {
        flag(&self.0, "disabled")
    }

    pub(crate) fn is_required(&self) -> bool {
        flag(&self.0, "required")
    }

    /// The browser's own `required` check, which knows radio groups, checkboxes and selects.
    pub(crate) fn is_missing(&self) -> bool {
        missing(&self.0)
    }

    /// The browser's message for the site's other constraints (`pattern`, `min`, `maxlength`,
    /// `type=url`, ...), which `novalidate` silences but does not switch off.
    pub(crate) fn browser_problem(&self) -> Option<String> {
        problem(&self.0)
    }

    /// True while the control shows one of the widget's messages.
    pub(crate) fn is_marked(&self) -> bool {
        marked(&self.0)
    }

    /// Shows `message` after the control, tied to it with `aria-invalid` and `aria-describedby`.
    pub(crate) fn show(&self, message: &str) {
        show(&self.0, message);
    }

    pub(crate) fn clear(&self) {
        clear(&self.0);
    }

    pub(crate) fn focus(&self) {
        focus(&self.0);
    }

    /// An attribute of the control's form (`data-closem-phone`).
    pub(crate) fn form_attr(&self, name: &str) -> Option<String> {
        attr(&get(&self.0, "form"), name)
    }

    /// This control's message for `code` in its form's language (see [`say`]).
    pub(crate) fn say(&self, code: &str, index: i32, text: &str) -> String {
        say(&self.0, code, index, text)
    }
}

/// A `form[data-closem]`.
#[derive(Clone)]
pub(crate) struct Form(JsValue);

impl Form {
    /// Every control the form owns, in document order (including ones outside it that name it
    /// with `form=`).
    pub(crate) fn controls(&self) -> Vec<Control> {
        controls(&self.0).into_iter().map(Control).collect()
    }

    /// The form-level message in the form's polite live region.
    pub(crate) fn status(&self, text: &str) {
        status(&self.0, text);
    }

    /// A request is running (`aria-busy`).
    pub(crate) fn is_busy(&self) -> bool {
        busy(&self.0)
    }

    /// Marks the form busy (`aria-busy`, `is-busy`, submit buttons disabled) or not.
    pub(crate) fn set_busy(&self, busy: bool) {
        set_busy(&self.0, busy);
    }

    /// Replaces the form with the site's success element or `message`.
    pub(crate) fn success(&self, message: &str) {
        success(&self.0, message);
    }

    /// The form's message for `code` in its language (see [`say`]).
    pub(crate) fn say(&self, code: &str, index: i32, text: &str) -> String {
        say(&self.0, code, index, text)
    }

    /// Fires `name` on the form, bubbling so a listener on `document` hears every form.
    pub(crate) fn dispatch(&self, name: &str, detail: &JsValue) {
        fire(&self.0, name, detail);
    }

    /// The form's fields as the browser would post them (multipart `FormData`).
    pub(crate) fn data(&self) -> FormData {
        FormData(data(&self.0))
    }

    /// `POST {endpoint}/f/{form id}` with `data`, asking for JSON, under the form's idempotency
    /// key (made now, or kept from an attempt the edge did not answer for good), after writing
    /// the submission to the outbox; the answer comes back to `handler` as an `answer` event (see
    /// [`Event::answer`]). Promise callbacks in `dom.js` instead of futures: the executor, and a
    /// closure per request, cost more bytes.
    pub(crate) fn post(&self, endpoint: &str, data: &FormData, handler: &Handler) {
        post(endpoint, &self.0, &data.0, &handler.0);
    }
}

/// An event handed to the widget's handler.
pub(crate) struct Event(JsValue);

impl Event {
    pub(crate) fn prevent_default(&self) {
        prevent(&self.0);
    }

    /// `submit`, `focusout`, `input`, ...
    pub(crate) fn kind(&self) -> String {
        text(&self.0, "type")
    }

    /// The form whose listener heard the event.
    pub(crate) fn form(&self) -> Form {
        Form(get(&self.0, "currentTarget"))
    }

    /// For an `answer`: the form that sent the submission, while it is on the page (a retry of an
    /// earlier page's submission has none).
    pub(crate) fn sender(&self) -> Option<Form> {
        flag(&self.0, "currentTarget").then(|| self.form())
    }

    /// For an `answer`: it is to a retry from the outbox, not to the visitor's submit.
    pub(crate) fn is_retry(&self) -> bool {
        flag(&self.0, "retry")
    }

    /// For an `answer`: the submission is in the outbox, to be sent again.
    pub(crate) fn is_kept(&self) -> bool {
        flag(&self.0, "kept")
    }

    /// For an `answer`: removes the submission from the outbox, the edge having answered for
    /// good; its form will make a new key for its next submission.
    pub(crate) fn forget(&self) {
        forget(&self.0);
    }

    /// For an `answer`: keeps the submission in the outbox but stops sending it by itself (Turnstile
    /// wants a new challenge); the form's next submit, with a fresh token, replaces it.
    pub(crate) fn park(&self) {
        park(&self.0);
    }

    /// What the edge answered, for an `answer` event; status 0 when no answer came.
    pub(crate) fn answer(&self) -> RawAnswer {
        RawAnswer {
            status: get(&self.0, "status").as_f64().unwrap_or_default() as u16,
            body: get(&self.0, "body"),
        }
    }

    /// The control the event happened on, if it was one.
    pub(crate) fn control(&self) -> Option<Control> {
        target(&self.0).map(Control)
    }
}

/// The widget's one handler: `dom.js` enhances the forms (before the module is ready) and hands it
/// every event of every form, the answers to its requests (`answer` events) and the submits it
/// held while the module was loading.
#[derive(Clone)]
pub(crate) struct Handler(JsValue);

impl Handler {
    /// Gives `dom.js` the widget's handler (it then replays held submits and, when the page is
    /// idle, sends the outbox). The JS function owns the closure (`into_js_value`) for the page's
    /// lifetime, since forms may arrive at any time; `dom.js` guards it against re-entry (moving
    /// focus fires `focusout` synchronously, and wasm-bindgen throws when a closure is entered
    /// while it runs).
    pub(crate) fn install(mut callback: impl FnMut(Event) + 'static) -> Handler {
        let callback =
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| callback(Event(event)));
        Handler(ready(callback.into_js_value()))
    }
}

/// How many forms `dom.js` has enhanced.
pub(crate) fn enhanced_forms() -> usize {
    enhanced() as usize
}

/// The body of a submission.
pub(crate) struct FormData(JsValue);

impl FormData {
    /// Replaces every value of `name` with one value.
    pub(crate) fn set(&self, name: &str, value: &str) {
        set_entry(&self.0, name, value);
    }
}

/// What the edge answered: the HTTP status (0 when no answer came: network, CORS) and the parsed
/// JSON body (`null` when it had none).
pub(crate) struct RawAnswer {
    pub status: u16,
    pub body: JsValue,
}

/// Now, in whole UNIX seconds.
pub(crate) fn now_seconds() -> i64 {
    now() as i64
}
