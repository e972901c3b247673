//! The tests' stand-in for the loader: `dom.js` does every DOM job (it enhances forms as soon as
//! the script runs, shows messages, posts, keeps the outbox) and asks the widget's rules
//! (`rules.rs`) through one function. In the shipped script the loader hands it the module's
//! export `ask`; the tests run the crate without the loader, so this gives `dom.js` the same
//! function as a closure (the `std` build only: the shipped module carries no closure
//! machinery). One string in, one string out, instead of a web-sys binding per DOM call: each
//! binding is an import with glue on both sides, which cost most of the download.

use alloc::string::String;

use wasm_bindgen::prelude::*;

use crate::rules;

#[wasm_bindgen(module = "/src/dom.js")]
extern "C" {
    /// The module is ready: `dom.js` asks `rules` from now on, posts to `endpoint`, replays the
    /// submits it held meanwhile and, when the page is idle, sends the outbox.
    fn ready(rules: JsValue, endpoint: &str);
    fn enhanced() -> u32;
}

/// Gives `dom.js` the rules and the endpoint. The JS function owns the closure
/// (`into_js_value`) for the page's lifetime, since forms may arrive at any time; a `Fn` that
/// touches nothing but its argument, so the page may call it at any moment, even re-entrantly.
pub(crate) fn install(endpoint: &str) {
    let ask = Closure::<dyn Fn(String) -> String>::new(|request: String| rules::answer(&request));
    ready(ask.into_js_value(), endpoint);
}

/// How many forms `dom.js` has enhanced.
pub(crate) fn enhanced_forms() -> usize {
    enhanced() as usize
}
