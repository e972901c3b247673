//! The closem-forms widget: turns every `form[data-closem]` on a page into a CLOSEM lead capture.

use wasm_bindgen::prelude::*;

/// Marks each `form[data-closem]` as enhanced and returns how many forms it found.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    if let Some(document) = web_sys::window().and_then(|window| window.document()) {
        enhance_all(&document)?;
    }
    Ok(())
}

/// Enhances every marked form under `document` once; returns the number newly enhanced.
pub fn enhance_all(document: &web_sys::Document) -> Result<u32, JsValue> {
    let forms = document.query_selector_all("form[data-closem]")?;
    let mut enhanced = 0;
    for index in 0..forms.length() {
        let Some(node) = forms.item(index) else {
            continue;
        };
        let form: web_sys::Element = node.unchecked_into();
        if form.has_attribute("data-closem-ready") {
            continue;
        }
        form.set_attribute("data-closem-ready", "")?;
        enhanced += 1;
    }
    Ok(enhanced)
}
