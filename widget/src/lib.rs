//! The closem-forms widget: turns every `form[data-closem]` on a page into a CLOSEM lead capture
//! with the shared validation rules, accessible inline errors, and submission by fetch to the edge.
//! The loader appended to the wasm-bindgen glue calls [`boot`]; until it does, nothing on the page
//! changes, so forms post natively when WebAssembly cannot start.

mod dom;
mod enhance;
mod errors;
mod events;
mod submit;
mod validate;

use wasm_bindgen::prelude::wasm_bindgen;

/// Enhances the page's forms now and as they are added, posting to `{endpoint}/f/{form id}`.
#[wasm_bindgen]
pub fn boot(endpoint: &str) {
    enhance::boot(endpoint);
}

/// How many forms hold live state (listeners); for tests that forms leaving the page release it.
#[doc(hidden)]
pub fn live_forms() -> usize {
    enhance::live_forms()
}
