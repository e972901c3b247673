//! The one module that calls web-sys and js-sys: the rest of the widget speaks in `Form`,
//! `Control`, `Element`, `Listener` and plain Rust values. Every fallible DOM call here is one
//! that cannot fail on a well-formed page (fixed tag names, fixed attribute names), so errors are
//! dropped instead of threaded through code that could do nothing better with them.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys as web;

#[wasm_bindgen]
extern "C" {
    /// `<input>`, `<select>` and `<textarea>` share every member the widget reads, so one
    /// structural binding covers the three (and costs one set of glue functions, not three).
    #[wasm_bindgen(extends = web::HtmlElement, extends = web::Element, extends = web::Node, extends = web::EventTarget)]
    #[derive(Clone)]
    type RawControl;
    #[wasm_bindgen(method, getter)]
    fn name(this: &RawControl) -> String;
    #[wasm_bindgen(method, getter)]
    fn value(this: &RawControl) -> String;
    #[wasm_bindgen(method, getter = type)]
    fn kind(this: &RawControl) -> String;
    #[wasm_bindgen(method, getter)]
    fn disabled(this: &RawControl) -> bool;
    #[wasm_bindgen(method, getter)]
    fn required(this: &RawControl) -> bool;
    #[wasm_bindgen(method, getter)]
    fn validity(this: &RawControl) -> web::ValidityState;
    #[wasm_bindgen(method, getter, js_name = validationMessage)]
    fn validation_message(this: &RawControl) -> String;

    /// A promise, seen only as something to wait for.
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, callback: &JsValue);
    /// `Promise.allSettled` always resolves, so one callback sees success and failure alike and
    /// a one-shot closure is always called, and so freed.
    #[wasm_bindgen(js_namespace = Promise, js_name = allSettled)]
    fn all_settled(promises: &Array) -> Thenable;
}

fn window() -> web::Window {
    // The widget only ever runs in a page: `boot` is called by the loader in a window.
    web::window().unwrap_throw()
}

fn document() -> web::Document {
    window().document().unwrap_throw()
}

/// Any element the widget creates or touches besides forms and their controls.
#[derive(Clone)]
pub struct Element(web::Element);

impl Element {
    /// A new `<div>` with a class and text; detached until placed.
    pub fn div(class: &str, text: &str) -> Element {
        let element = document().create_element("div").unwrap_throw();
        element.set_class_name(class);
        element.set_text_content(Some(text));
        Element(element)
    }

    pub fn by_id(id: &str) -> Option<Element> {
        document().get_element_by_id(id).map(Element)
    }

    pub fn attr(&self, name: &str) -> Option<String> {
        self.0.get_attribute(name)
    }

    pub fn set_attr(&self, name: &str, value: &str) {
        let _ = self.0.set_attribute(name, value);
    }

    pub fn remove_attr(&self, name: &str) {
        let _ = self.0.remove_attribute(name);
    }

    pub fn add_class(&self, class: &str) {
        let _ = self.0.class_list().add_1(class);
    }

    pub fn remove_class(&self, class: &str) {
        let _ = self.0.class_list().remove_1(class);
    }

    pub fn set_text(&self, text: &str) {
        self.0.set_text_content(Some(text));
    }

    /// Places `self` right after `anchor`, where screen-reader and visual order both expect it.
    pub fn insert_after(&self, anchor: &Element) {
        let _ = anchor.0.after_with_node_1(&self.0);
    }

    pub fn remove(&self) {
        self.0.remove();
    }

    pub fn append(&self, child: &Element) {
        let _ = self.0.append_with_node_1(&child.0);
    }

    pub fn replace_with(&self, other: &Element) {
        let _ = self.0.replace_with_with_node_1(&other.0);
    }

    pub fn closest(&self, selector: &str) -> Option<Element> {
        self.0.closest(selector).ok().flatten().map(Element)
    }

    pub fn find(&self, selector: &str) -> Option<Element> {
        self.0.query_selector(selector).ok().flatten().map(Element)
    }

    pub fn parent(&self) -> Option<Element> {
        self.0.parent_element().map(Element)
    }

    pub fn focus(&self) {
        if let Some(element) = self.0.dyn_ref::<web::HtmlElement>() {
            let _ = element.focus();
        }
    }

    /// Shows an element the site shipped hidden, however it hid it (attribute, inline style or
    /// stylesheet, as Webflow's `.w-form-done` does).
    pub fn reveal(&self) {
        self.remove_attr("hidden");
        let Some(element) = self.0.dyn_ref::<web::HtmlElement>() else {
            return;
        };
        let style = element.style();
        let _ = style.remove_property("display");
        let computed = window()
            .get_computed_style(&self.0)
            .ok()
            .flatten()
            .and_then(|computed| computed.get_property_value("display").ok());
        if computed.as_deref() == Some("none") {
            let _ = style.set_property("display", "block");
        }
    }
}

/// One form control the visitor fills in: an `<input>`, `<select>` or `<textarea>`.
#[derive(Clone)]
pub struct Control(RawControl);

impl Control {
    pub fn element(&self) -> Element {
        Element(self.0.clone().unchecked_into())
    }

    pub fn name(&self) -> String {
        self.0.name()
    }

    pub fn value(&self) -> String {
        self.0.value()
    }

    /// The `type` attribute as the browser normalises it (`text`, `email`, `select-one`, ...).
    pub fn kind(&self) -> String {
        self.0.kind()
    }

    pub fn hint(&self) -> Option<String> {
        self.0.get_attribute("data-closem-field")
    }

    pub fn is_disabled(&self) -> bool {
        self.0.disabled()
    }

    pub fn is_required(&self) -> bool {
        self.0.required()
    }

    /// The browser's own `required` check, which knows radio groups, checkboxes and selects.
    pub fn is_missing(&self) -> bool {
        self.0.validity().value_missing()
    }

    /// The browser's message for the site's other constraints (`pattern`, `min`, `maxlength`,
    /// `type=url`, ...), which `novalidate` silences but does not switch off.
    pub fn browser_problem(&self) -> Option<String> {
        if self.0.validity().valid() {
            None
        } else {
            Some(self.0.validation_message())
        }
    }
}

/// A `form[data-closem]`.
#[derive(Clone)]
pub struct Form(web::HtmlFormElement);

const READY: &str = "data-closem-ready";

impl Form {
    /// Marked forms not enhanced yet, in document order.
    pub fn unenhanced() -> Vec<Form> {
        let mut forms = Vec::new();
        if let Ok(list) =
            document().query_selector_all("form[data-closem]:not([data-closem-ready])")
        {
            for index in 0..list.length() {
                if let Some(form) = list.item(index).and_then(|node| node.dyn_into().ok()) {
                    forms.push(Form(form));
                }
            }
        }
        forms
    }

    pub fn element(&self) -> Element {
        Element(self.0.clone().into())
    }

    /// The form id of `data-closem`, naming the profile at the edge.
    pub fn id(&self) -> String {
        self.0.get_attribute("data-closem").unwrap_or_default()
    }

    pub fn mark_ready(&self) {
        let _ = self.0.set_attribute(READY, "");
        // The widget shows its own messages; the browser's bubbles would talk over them.
        self.0.set_no_validate(true);
    }

    /// Undoes `mark_ready` when the form leaves the page, so a form put back is enhanced anew.
    pub fn unmark(&self) {
        let _ = self.0.remove_attribute(READY);
    }

    pub fn is_connected(&self) -> bool {
        self.0.is_connected()
    }

    /// Every `<input>`, `<select>` and `<textarea>` the form owns, in document order (including
    /// ones outside it that name it with `form=`).
    pub fn controls(&self) -> Vec<Control> {
        let elements = self.0.elements();
        let mut controls = Vec::new();
        for index in 0..elements.length() {
            if let Some(control) = elements.item(index).and_then(as_control) {
                controls.push(Control(control));
            }
        }
        controls
    }

    /// Buttons that could submit the form, so a busy form can't be sent twice.
    pub fn buttons(&self) -> Vec<Element> {
        let mut buttons = Vec::new();
        let selector =
            "button:not([type=button]):not([type=reset]),input[type=submit],input[type=image]";
        if let Ok(list) = self.0.query_selector_all(selector) {
            for index in 0..list.length() {
                if let Some(button) = list.item(index).and_then(|node| node.dyn_into().ok()) {
                    buttons.push(Element(button));
                }
            }
        }
        buttons
    }

    /// The form's fields as the browser would post them (multipart `FormData`).
    pub fn data(&self) -> FormData {
        FormData(web::FormData::new_with_form(&self.0).unwrap_throw())
    }

    /// Fires `name` on the form, bubbling so a listener on `document` hears every form.
    pub fn dispatch(&self, name: &str, detail: &JsValue) {
        let init = web::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_detail(detail);
        if let Ok(event) = web::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = self.0.dispatch_event(&event);
        }
    }

    pub fn listen(&self, kind: &'static str, callback: impl FnMut(Event) + 'static) -> Listener {
        Listener::new(self.0.clone().into(), kind, callback)
    }
}

fn as_control(element: web::Element) -> Option<RawControl> {
    match element.tag_name().as_str() {
        "INPUT" | "SELECT" | "TEXTAREA" => Some(element.unchecked_into()),
        _ => None,
    }
}

/// An event handed to a listener.
pub struct Event(web::Event);

impl Event {
    pub fn prevent_default(&self) {
        self.0.prevent_default();
    }

    /// The control the event happened on, if it was one.
    pub fn control(&self) -> Option<Control> {
        let target: web::Element = self.0.target()?.dyn_into().ok()?;
        as_control(target).map(Control)
    }
}

/// An event listener that is removed when dropped, so a form's state can simply be dropped when
/// the form leaves the page.
pub struct Listener {
    target: web::EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(web::Event)>,
}

impl Listener {
    fn new(
        target: web::EventTarget,
        kind: &'static str,
        mut callback: impl FnMut(Event) + 'static,
    ) -> Listener {
        let callback = Closure::<dyn FnMut(web::Event)>::new(move |event| callback(Event(event)));
        // Not passive: the submit listener must be able to prevent the native post.
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        Listener {
            target,
            kind,
            callback,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}

/// Watches the whole document for added and removed nodes; stops watching when dropped.
pub struct Observer {
    observer: web::MutationObserver,
    _callback: Closure<dyn FnMut()>,
}

impl Observer {
    pub fn document(callback: impl FnMut() + 'static) -> Option<Observer> {
        let callback = Closure::<dyn FnMut()>::new(callback);
        let observer = web::MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        let init = web::MutationObserverInit::new();
        init.set_child_list(true);
        init.set_subtree(true);
        let root = document().document_element()?;
        observer.observe_with_options(&root, &init).ok()?;
        Some(Observer {
            observer,
            _callback: callback,
        })
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// The body of a submission.
pub struct FormData(web::FormData);

impl FormData {
    /// Replaces every value of `name` with one value.
    pub fn set(&self, name: &str, value: &str) {
        let _ = self.0.set_with_str(name, value);
    }
}

/// What the edge answered: the HTTP status and the parsed JSON body (`null` when it had none).
pub struct Answer {
    pub status: u16,
    pub body: JsValue,
}

/// `POST url` with the form data, asking for JSON; `done` gets `Err` when no answer came
/// (network, CORS). Promise callbacks instead of futures: the executor costs more bytes than
/// the two callbacks it would save writing.
pub fn post(url: &str, data: &FormData, done: impl FnOnce(Result<Answer, ()>) + 'static) {
    let init = web::RequestInit::new();
    init.set_method("POST");
    init.set_body(&data.0);
    let headers = Object::new();
    let _ = Reflect::set(&headers, &"Accept".into(), &"application/json".into());
    init.set_headers(&headers);
    let request = window().fetch_with_str_and_init(url, &init);
    settle(&request, move |response| {
        let Some(response) = response else {
            return done(Err(()));
        };
        let response: web::Response = response.unchecked_into();
        let status = response.status();
        let Ok(body) = response.json() else {
            return done(Ok(Answer {
                status,
                body: JsValue::NULL,
            }));
        };
        settle(&body, move |body| {
            done(Ok(Answer {
                status,
                body: body.unwrap_or(JsValue::NULL),
            }))
        });
    });
}

/// Calls `then` with the promise's value, or `None` if it rejected.
fn settle(promise: &JsValue, then: impl FnOnce(Option<JsValue>) + 'static) {
    let callback = Closure::once_into_js(move |results: JsValue| {
        let outcome = Reflect::get_u32(&results, 0).unwrap_or(JsValue::UNDEFINED);
        let fulfilled = get(&outcome, "status").as_string().as_deref() == Some("fulfilled");
        then(fulfilled.then(|| get(&outcome, "value")));
    });
    all_settled(&Array::of1(promise)).then(&callback);
}

/// Now, in whole UNIX seconds.
pub fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// A `datetime-local` value (`2030-06-01T09:30`) read in the visitor's timezone, as UNIX seconds.
pub fn local_seconds(value: &str) -> Option<String> {
    let millis = js_sys::Date::new(&value.into()).get_time();
    if millis.is_nan() {
        return None;
    }
    let seconds = (millis / 1000.0).floor();
    // Before 1970 cannot be an appointment; the shared check reports the raw value instead.
    (seconds >= 0.0).then(|| decimal(seconds))
}

/// A whole number in decimal; JavaScript's `toString` is already there, `core::fmt` would not be.
pub fn decimal(number: f64) -> String {
    js_sys::Number::from(number)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

pub fn encode_component(text: &str) -> String {
    js_sys::encode_uri_component(text).into()
}

/// A fresh JS object for event details.
pub fn object() -> JsValue {
    Object::new().into()
}

pub fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

pub fn get(object: &JsValue, key: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

/// The items of a JS array (nothing when `value` is not one).
pub fn items(value: &JsValue) -> Vec<JsValue> {
    if Array::is_array(value) {
        Array::from(value).iter().collect()
    } else {
        Vec::new()
    }
}

pub fn array(items: Vec<JsValue>) -> JsValue {
    items.into_iter().collect::<Array>().into()
}
