//! The dashboard's only contact with the page (web-sys): finding the static page's elements,
//! building rows as text nodes (never HTML, so a submission's fields cannot become markup),
//! showing and hiding, focus, listeners, and the tab's `sessionStorage`.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement};

/// Where the token is kept: this tab only, gone when it closes.
const TOKEN_KEY: &str = "closem-admin-token";

pub(crate) fn document() -> Option<Document> {
    web_sys::window()?.document()
}

/// The static page's element with this id.
pub(crate) fn by_id(id: &str) -> Option<Element> {
    document()?.get_element_by_id(id)
}

/// A new element with text (as a text node).
pub(crate) fn element(tag: &str, text: &str) -> Option<Element> {
    let element = document()?.create_element(tag).ok()?;
    if !text.is_empty() {
        element.set_text_content(Some(text));
    }
    Some(element)
}

pub(crate) fn append(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

pub(crate) fn set_attribute(element: &Element, name: &str, value: &str) {
    let _ = element.set_attribute(name, value);
}

/// Removes every child of the element with this id.
pub(crate) fn clear(id: &str) {
    if let Some(element) = by_id(id) {
        element.set_text_content(None);
    }
}

pub(crate) fn set_text(id: &str, text: &str) {
    if let Some(element) = by_id(id) {
        element.set_text_content(Some(text));
    }
}

pub(crate) fn show(id: &str, shown: bool) {
    if let Some(element) = by_id(id) {
        let _ = if shown {
            element.remove_attribute("hidden")
        } else {
            element.set_attribute("hidden", "")
        };
    }
}

pub(crate) fn focus(id: &str) {
    if let Some(element) = by_id(id).and_then(|element| element.dyn_into::<HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// The value of an input or select.
pub(crate) fn value(id: &str) -> String {
    let Some(element) = by_id(id) else {
        return String::new();
    };
    if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
        return input.value();
    }
    element
        .dyn_ref::<HtmlSelectElement>()
        .map(HtmlSelectElement::value)
        .unwrap_or_default()
}

pub(crate) fn set_value(id: &str, text: &str) {
    if let Some(input) = by_id(id).and_then(|element| element.dyn_into::<HtmlInputElement>().ok()) {
        input.set_value(text);
    }
}

/// Calls `handler` on each `event` at the element with this id (submits are kept from
/// navigating). The dashboard's controls live as long as the page, so their listeners do too:
/// the closure is forgotten on purpose.
pub(crate) fn on(id: &str, event: &str, handler: impl FnMut(Event) + 'static) {
    if let Some(element) = by_id(id) {
        listen(&element, event, handler);
    }
}

/// `on` for an element built at run time (a row's button); the listener goes with the element.
pub(crate) fn listen(element: &Element, event: &str, mut handler: impl FnMut(Event) + 'static) {
    let closure = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        if event.type_() == "submit" {
            event.prevent_default();
        }
        handler(event);
    });
    let _ = element.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    // Forgotten: the element (and so the listener) lives until the page or the row is dropped,
    // and a row's few bytes are not worth an owner table.
    closure.forget();
}

/// Whether a keyboard event is the Escape key.
pub(crate) fn is_escape(event: &Event) -> bool {
    js_sys::Reflect::get(event, &JsValue::from_str("key"))
        .ok()
        .and_then(|key| key.as_string())
        .is_some_and(|key| key == "Escape")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

pub(crate) fn stored_token() -> Option<String> {
    storage()?
        .get_item(TOKEN_KEY)
        .ok()?
        .filter(|token| !token.is_empty())
}

pub(crate) fn store_token(token: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(TOKEN_KEY, token);
    }
}

pub(crate) fn forget_token() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(TOKEN_KEY);
    }
}

/// `2026-12-01 23:52:31 UTC` for a time in milliseconds.
pub(crate) fn time(ms: f64) -> String {
    let iso = String::from(js_sys::Date::new(&JsValue::from_f64(ms)).to_iso_string());
    let mut text = iso.replace('T', " ");
    text.truncate(19);
    text.push_str(" UTC");
    text
}

/// `set_attribute` on the element with this id.
pub(crate) fn set_attribute_of(id: &str, name: &str, value: &str) {
    if let Some(element) = by_id(id) {
        set_attribute(&element, name, value);
    }
}
