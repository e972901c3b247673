//! The next page load of a site whose outbox holds a submission that could not be sent (issue 6):
//! its own test binary, so the storage is seeded before the first `boot` of this page.

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn js(code: &str) -> JsValue {
    js_sys::eval(code).expect(code)
}

fn js_string(code: &str) -> String {
    js(code)
        .as_string()
        .unwrap_or_else(|| panic!("{code} is not a string"))
}

async fn settle() {
    let promise = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn boot_sends_what_an_earlier_page_left_in_the_outbox_with_its_key() {
    // An earlier page queued one submission; another one is over a week old.
    js(r#"
      localStorage.setItem("closem:outbox", JSON.stringify([
        { key: "stale-key", url: "https://forms.test/f/guide", form: "guide",
          fields: [["email", "old@example.com"], ["_closem_key", "stale-key"]], time: Date.now() - 8 * 864e5 },
        { key: "4b0c2f9e-queued", url: "https://forms.test/f/guide", form: "guide",
          fields: [["email", "ada@example.com"], ["_closem_key", "4b0c2f9e-queued"]], time: Date.now() - 3600e3 }]));
      window.__calls = [];
      window.fetch = function (url, init) {
        const entries = [];
        init.body.forEach((value, name) => entries.push([name, String(value)]));
        __calls.push({ url: String(url), key: new Headers(init.headers).get("idempotency-key"), entries });
        return Promise.resolve(new Response(JSON.stringify({ ok: true, id: "s1", issues: [] }),
          { status: 202, headers: { "content-type": "application/json" } }));
      };"#);
    closem_widget::boot("https://forms.test");
    settle().await;
    assert_eq!(
        js_string("JSON.stringify(__calls)"),
        r#"[{"url":"https://forms.test/f/guide","key":"4b0c2f9e-queued","entries":[["email","ada@example.com"],["_closem_key","4b0c2f9e-queued"]]}]"#,
        "the week-old entry is dropped, the other sent as it was, under its own key"
    );
    assert_eq!(
        js_string("localStorage.getItem('closem:outbox')"),
        "[]",
        "accepted, so removed"
    );
    closem_widget::boot("https://forms.test");
    js("window.dispatchEvent(new Event('online'))");
    settle().await;
    assert_eq!(
        js_string("String(__calls.length)"),
        "1",
        "sent once: a second boot or `online` finds nothing to send"
    );
}
