//! JavaScript reached by name (`Reflect`, `Function.apply`) for the few runtime calls whose worker
//! crate wrappers are costly in the wasm: requests built through `RequestInit`'s serde conversion,
//! answers read as byte streams, queue and rate limiter options through serde_wasm_bindgen.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `target[key]`, unless it is undefined or null.
pub fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    let value = Reflect::get(target, &JsValue::from_str(key)).ok()?;
    (!value.is_undefined() && !value.is_null()).then_some(value)
}

/// `target[method](...args)`.
pub fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = get(target, method).ok_or(JsValue::UNDEFINED)?.dyn_into()?;
    Reflect::apply(&function, target, &args.iter().collect::<Array>())
}

/// Awaits `value`, a promise (or any value, which is its own result).
pub async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    js_sys::futures::JsFuture::from(Promise::resolve(&value)).await
}

/// `target[method](...args)`, awaited.
pub async fn call_async(
    target: &JsValue,
    method: &str,
    args: &[JsValue],
) -> Result<JsValue, JsValue> {
    settle(call(target, method, args)?).await
}

/// A plain object of `entries`.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// What an answered request said.
pub struct Posted {
    pub status: u16,
    /// The body as text; empty if it could not be read.
    pub body: String,
}

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// The timeout passed first.
    Timeout,
    /// The request could not be made or was not answered. The runtime's error is dropped: it can
    /// quote the URL, and so a key.
    Network,
}

/// `POST url` with `headers` and `body` through `fetcher`'s `fetch` (the global scope, or a
/// Durable Object stub), given `timeout_ms` when there is one.
pub async fn post(
    fetcher: &JsValue,
    url: &str,
    headers: JsValue,
    body: JsValue,
    timeout_ms: Option<u32>,
) -> Result<Posted, NoAnswer> {
    let signal = timeout_ms.map(web_sys::AbortSignal::timeout_with_u32);
    let init = object(&[
        ("method", JsValue::from_str("POST")),
        ("headers", headers),
        ("body", body),
        (
            "signal",
            signal.clone().map_or(JsValue::UNDEFINED, JsValue::from),
        ),
    ]);
    let answered = call_async(fetcher, "fetch", &[JsValue::from_str(url), init]).await;
    let Ok(response) = answered else {
        let timed_out = signal.is_some_and(|signal| signal.aborted());
        return Err(if timed_out {
            NoAnswer::Timeout
        } else {
            NoAnswer::Network
        });
    };
    let response: web_sys::Response = response.unchecked_into();
    let body = match response.text() {
        Ok(promise) => settle(promise.into())
            .await
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok(Posted {
        status: response.status(),
        body,
    })
}
