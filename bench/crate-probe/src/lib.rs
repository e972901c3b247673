//! Probe: one authenticated GET of a listing and one value read from its JSON, done with
//! web-sys + js-sys alone, or with gloo-net for the request, or with serde-wasm-bindgen for the
//! value; the size difference is what each crate costs one call site.
use wasm_bindgen::prelude::*;
#[allow(unused_imports)] // used by the web-sys paths, not when both crates replace them
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[cfg(feature = "swb")]
#[derive(serde::Deserialize)]
struct Entry {
    id: String,
    state: String,
    attempts: u32,
    last_status: Option<u16>,
    fields: Vec<(String, String)>,
    created_ms: f64,
}

#[cfg(feature = "swb")]
#[derive(serde::Deserialize)]
struct Listing {
    counts: std::collections::BTreeMap<String, i64>,
    submissions: Vec<Entry>,
    next: Option<String>,
}

async fn get(url: &str, token: &str) -> Result<JsValue, JsValue> {
    #[cfg(feature = "gloo")]
    {
        let response = gloo_net::http::Request::get(url)
            .header("Authorization", token)
            .send()
            .await
            .map_err(|_| JsValue::NULL)?;
        let raw = web_sys::Response::from(response);
        return JsFuture::from(raw.json()?).await;
    }
    #[cfg(not(feature = "gloo"))]
    {
        let init = web_sys::RequestInit::new();
        let headers = web_sys::Headers::new()?;
        headers.set("Authorization", token)?;
        init.set_headers(&headers);
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await?
            .dyn_into()?;
        JsFuture::from(response.json()?).await
    }
}

#[wasm_bindgen]
pub async fn probe(url: String, token: String) -> Result<JsValue, JsValue> {
    let value = get(&url, &token).await?;
    #[cfg(feature = "swb")]
    {
        let listing: Listing =
            serde_wasm_bindgen::from_value(value).map_err(|_| JsValue::NULL)?;
        let first = listing.submissions.first();
        let text = format!(
            "{} {} {} {:?} {} {} {:?} {}",
            listing.counts.len(),
            first.map_or("", |e| e.id.as_str()),
            first.map_or("", |e| e.state.as_str()),
            first.map(|e| e.attempts),
            first.and_then(|e| e.last_status).unwrap_or(0),
            first.map_or(0, |e| e.fields.len()),
            listing.next,
            first.map_or(0.0, |e| e.created_ms),
        );
        return Ok(JsValue::from_str(&text));
    }
    #[cfg(not(feature = "swb"))]
    {
        let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key));
        let counts = js_sys::Object::keys(&get(&value, "counts")?.into()).length();
        let submissions: js_sys::Array = get(&value, "submissions")?.dyn_into()?;
        let first = submissions.get(0);
        let text = format!(
            "{} {:?} {:?} {:?} {:?} {} {:?} {:?}",
            counts,
            get(&first, "id")?.as_string(),
            get(&first, "state")?.as_string(),
            get(&first, "attempts")?.as_f64(),
            get(&first, "last_status")?.as_f64(),
            js_sys::Array::from(&get(&first, "fields")?).length(),
            get(&value, "next")?.as_string(),
            get(&first, "created_ms")?.as_f64(),
        );
        Ok(JsValue::from_str(&text))
    }
}
