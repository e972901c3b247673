//! Browser tests of the widget, run in headless Chromium by wasm-bindgen-test.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_container(html: &str) -> web_sys::Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let container = document.create_element("div").unwrap();
    container.set_inner_html(html);
    document.body().unwrap().append_child(&container).unwrap();
    container
}

#[wasm_bindgen_test]
fn marked_forms_are_enhanced_exactly_once() {
    let container = fresh_container(
        r#"<form data-closem="contact"></form><form data-closem="guide"></form><form id="plain"></form>"#,
    );
    let document = web_sys::window().unwrap().document().unwrap();
    let first = closem_widget::enhance_all(&document).unwrap();
    let second = closem_widget::enhance_all(&document).unwrap();
    assert!(first >= 2, "both marked forms are enhanced, got {first}");
    assert_eq!(second, 0, "a second pass enhances nothing again");
    let plain: web_sys::Element = document
        .get_element_by_id("plain")
        .unwrap()
        .unchecked_into();
    assert!(
        !plain.has_attribute("data-closem-ready"),
        "unmarked forms are left alone"
    );
    container.remove();
}
