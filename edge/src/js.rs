//! JavaScript reached by name (`Reflect`, `Function.apply`) for the few runtime calls whose worker
//! crate wrappers are costly in the wasm: requests built through `RequestInit`'s serde conversion,
//! answers read as byte streams, queue and rate limiter options through serde_wasm_bindgen.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `target[key]`, unless it is undefined or null.
pub(crate) fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    let value = Reflect::get(target, &JsValue::from_str(key)).ok()?;
    (!value.is_undefined() && !value.is_null()).then_some(value)
}

/// `target[method](...args)`.
pub(crate) fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = get(target, method).ok_or(JsValue::UNDEFINED)?.dyn_into()?;
    Reflect::apply(&function, target, &args.iter().collect::<Array>())
}

/// Awaits `value`, a promise (or any value, which is its own result).
pub(crate) async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    js_sys::futures::JsFuture::from(Promise::resolve(&value)).await
}

/// `target[method](...args)`, awaited.
pub(crate) async fn call_async(
    target: &JsValue,
    method: &str,
    args: &[JsValue],
) -> Result<JsValue, JsValue> {
    settle(call(target, method, args)?).await
}

/// A plain object of `entries`.
pub(crate) fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// What an answered request said.
pub(crate) struct Posted {
    pub status: u16,
    /// The body as text (lossy UTF-8), at most the exchange's `body_limit` bytes of it; empty if
    /// it could not be read.
    pub body: String,
    /// The value of the exchange's `read_header`, if the answer had it.
    pub header: Option<String>,
}

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoAnswer {
    /// The timeout passed first.
    Timeout,
    /// The request could not be made or was not answered. The runtime's error is dropped: it can
    /// quote the URL, and so a key.
    Network,
}

/// How a request is made: a timeout that covers the answer's body too, redirects followed or
/// handed back, how much of the body to read, and one header to read.
pub(crate) struct Exchange<'a> {
    pub timeout_ms: Option<u32>,
    /// Hand a 3xx back instead of following it (`redirect: "manual"`).
    pub manual_redirect: bool,
    pub body_limit: usize,
    pub read_header: Option<&'a str>,
}

impl Exchange<'_> {
    /// An internal call (a Durable Object): no timeout, the whole answer.
    pub(crate) const WHOLE: Exchange<'static> = Exchange {
        timeout_ms: None,
        manual_redirect: false,
        body_limit: usize::MAX,
        read_header: None,
    };
}

/// The `RequestInit` of a POST.
fn post_init(
    headers: JsValue,
    body: JsValue,
    signal: Option<web_sys::AbortSignal>,
    manual_redirect: bool,
) -> JsValue {
    object(&[
        ("method", JsValue::from_str("POST")),
        ("headers", headers),
        ("body", body),
        ("signal", signal.map_or(JsValue::UNDEFINED, JsValue::from)),
        (
            "redirect",
            JsValue::from_str(if manual_redirect { "manual" } else { "follow" }),
        ),
    ])
}

/// `POST url` with `headers` and `body` through `fetcher`'s `fetch` (the global scope, or a
/// Durable Object stub), as `exchange` says.
pub(crate) async fn post(
    fetcher: &JsValue,
    url: &str,
    headers: JsValue,
    body: JsValue,
    exchange: &Exchange<'_>,
) -> Result<Posted, NoAnswer> {
    let signal = exchange
        .timeout_ms
        .map(web_sys::AbortSignal::timeout_with_u32);
    let init = post_init(headers, body, signal.clone(), exchange.manual_redirect);
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
    let header = exchange.read_header.and_then(|name| {
        let headers = get(&response, "headers")?;
        call(&headers, "get", &[JsValue::from_str(name)])
            .ok()?
            .as_string()
    });
    let body = if exchange.body_limit == usize::MAX {
        match response.text() {
            Ok(promise) => settle(promise.into())
                .await
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_default(),
            Err(_) => String::new(),
        }
    } else {
        let bytes = match get(&response, "body") {
            Some(stream) => match read_stream(&stream, exchange.body_limit).await {
                Read::Whole(bytes) | Read::Over(bytes) => bytes,
                Read::Broken(bytes) => bytes,
            },
            None => Vec::new(),
        };
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Ok(Posted {
        status: response.status(),
        body,
        header,
    })
}

/// What reading a stream within a limit gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// The whole stream, within the limit.
    Whole(Vec<u8>),
    /// The limit was passed: the first `limit` + 1 bytes; the rest was not read (the stream is
    /// cancelled).
    Over(Vec<u8>),
    /// The stream failed (or timed out) after these bytes.
    Broken(Vec<u8>),
}

/// Reads a `ReadableStream` of bytes chunk by chunk, keeping at most `limit` + 1 bytes: once more
/// than `limit` have arrived it cancels the stream, so a huge body is never held, whether or not
/// it declared its length.
pub(crate) async fn read_stream(stream: &JsValue, limit: usize) -> Read {
    let Ok(reader) = call(stream, "getReader", &[]) else {
        return Read::Broken(Vec::new());
    };
    let mut bytes = Vec::new();
    loop {
        let Ok(chunk) = call_async(&reader, "read", &[]).await else {
            return Read::Broken(bytes);
        };
        if get(&chunk, "done").is_some_and(|done| done.is_truthy()) {
            return Read::Whole(bytes);
        }
        let Some(value) = get(&chunk, "value") else {
            continue;
        };
        let array = js_sys::Uint8Array::new(&value);
        let room = (limit.saturating_add(1)).saturating_sub(bytes.len());
        let take = (array.length() as usize).min(room);
        let start = bytes.len();
        bytes.resize(start + take, 0);
        array
            .subarray(0, u32::try_from(take).unwrap_or(u32::MAX))
            .copy_to(&mut bytes[start..]);
        if bytes.len() > limit {
            // Errors of cancel are the stream's own business: the body is refused either way.
            if let Ok(promise) = call(&reader, "cancel", &[]) {
                let _ = settle(promise).await;
            }
            return Read::Over(bytes);
        }
    }
}
