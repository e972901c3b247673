//! A page where the widget never booted (no WebAssembly, a CSP without 'wasm-unsafe-eval', a
//! failed download): its own test binary, so no other test's `boot` has run in this page.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlFormElement;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn marked_form_keeps_its_native_post_when_boot_never_ran() {
    let document = web_sys::window().unwrap().document().unwrap();
    let container = document.create_element("div").unwrap();
    container.set_inner_html(
        r#"<form id="native" data-closem="contact" action="https://forms.test/f/contact" method="post">
             <input name="email" type="email" required><button>Send</button></form>"#,
    );
    document.body().unwrap().append_child(&container).unwrap();
    let form: HtmlFormElement = document
        .get_element_by_id("native")
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(form.action(), "https://forms.test/f/contact");
    assert_eq!(form.method(), "post");
    assert!(
        !form.no_validate(),
        "the browser's own validation still guards it"
    );
    assert!(!form.has_attribute("data-closem-ready"));
    let init = web_sys::EventInit::new();
    init.set_cancelable(true);
    let submit = web_sys::Event::new_with_event_init_dict("submit", &init).unwrap();
    assert!(
        form.dispatch_event(&submit).unwrap(),
        "nothing prevents the native submit"
    );
    assert_eq!(closem_widget::live_forms(), 0);
    container.remove();
}
