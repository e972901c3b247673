//! JSON text written by hand, and read as a `serde_json::Value` (whose parser the worker has anyway,
//! for FORMS). serde's derives and `json!` cost the worker dearly: each derived type and each
//! `json!` site is its own code in the wasm, while these few functions are shared by every log
//! line, answer and ledger message. The output is compact, like serde_json's (`{"ok":true}`), and
//! strings are escaped as serde_json escapes them.

use serde_json::Value;

use crate::hex;

/// A JSON object being written; keys come out in the order they are added.
pub(crate) struct Object(String);

/// Starts an object: `json::object().str("event", "submit").int("ms", 3).finish()`.
pub(crate) fn object() -> Object {
    Object(String::from("{"))
}

impl Object {
    fn key(&mut self, key: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        string_into(&mut self.0, key);
        self.0.push(':');
        &mut self.0
    }

    pub(crate) fn str(&mut self, key: &str, value: &str) -> &mut Object {
        string_into(self.key(key), value);
        self
    }

    /// A string, or `null` for `None`.
    pub(crate) fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Object {
        match value {
            Some(value) => self.str(key, value),
            None => self.raw(key, "null"),
        }
    }

    pub(crate) fn int(&mut self, key: &str, value: i64) -> &mut Object {
        let text = value.to_string();
        self.raw(key, &text)
    }

    /// A number, or `null` for `None`.
    pub(crate) fn opt_int(&mut self, key: &str, value: Option<i64>) -> &mut Object {
        match value {
            Some(value) => self.int(key, value),
            None => self.raw(key, "null"),
        }
    }

    pub(crate) fn bool(&mut self, key: &str, value: bool) -> &mut Object {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// A value that is JSON text already (an object or array written with this module).
    pub(crate) fn raw(&mut self, key: &str, json: &str) -> &mut Object {
        self.key(key).push_str(json);
        self
    }

    pub(crate) fn finish(&mut self) -> String {
        let mut text = std::mem::take(&mut self.0);
        text.push('}');
        text
    }
}

/// `[a,b,...]` of items that are JSON text already.
pub(crate) fn array(items: impl IntoIterator<Item = String>) -> String {
    let mut out = String::from("[");
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&item);
    }
    out.push(']');
    out
}

/// A JSON array of strings.
pub(crate) fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    array(items.into_iter().map(string))
}

/// A JSON string.
pub(crate) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    string_into(&mut out, text);
    out
}

fn string_into(out: &mut String, text: &str) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            control if u32::from(control) < 0x20 => {
                out.push_str("\\u00");
                hex::push_lower(out, control as u8);
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

/// Field pairs as `[["name","value"],...]`: how the ledger stores and lists them.
pub(crate) fn pairs(fields: &[(String, String)]) -> String {
    array(
        fields
            .iter()
            .map(|(name, value)| strings([name.as_str(), value.as_str()])),
    )
}

/// Reads [`pairs`] back; `None` unless every item is a pair of strings.
pub(crate) fn read_pairs(value: &Value) -> Option<Vec<(String, String)>> {
    value
        .as_array()?
        .iter()
        .map(|pair| match pair.as_array()?.as_slice() {
            [Value::String(name), Value::String(value)] => Some((name.clone(), value.clone())),
            _ => None,
        })
        .collect()
}

/// Parses JSON text; `None` if it is not JSON.
pub(crate) fn parse(text: &str) -> Option<Value> {
    read(text).ok()
}

/// Parses JSON text, or says where it is not JSON (the parser's own words, e.g. "Expected ','
/// or '}' after property value in JSON at position 12").
///
/// In the Worker the runtime's own `JSON.parse` reads it, then the value is copied into a
/// `serde_json::Value`: serde_json's parser (its reader, escapes and number parsing) then never
/// reaches the bundle, 4.5 KB gzip less (measured on 2026-12-02). Natively (unit tests) serde_json
/// reads it.
pub(crate) fn read(text: &str) -> Result<Value, String> {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::JSON::parse(text)
            .map(|value| from_js(&value))
            .map_err(|error| {
                js_sys::Error::from(error)
                    .message()
                    .as_string()
                    .unwrap_or_default()
            })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::from_str(text).map_err(|error| error.to_string())
    }
}

/// A value `JSON.parse` made, as a `serde_json::Value`. Whole numbers within 2^53 become integers
/// (as serde_json reads them); other numbers stay floats.
#[cfg(target_arch = "wasm32")]
fn from_js(value: &wasm_bindgen::JsValue) -> Value {
    use js_sys::{Array, Object};
    if let Some(flag) = value.as_bool() {
        Value::Bool(flag)
    } else if let Some(number) = value.as_f64() {
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if number.fract() == 0.0 && number.abs() <= EXACT {
            Value::from(number as i64)
        } else {
            serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
        }
    } else if let Some(text) = value.as_string() {
        Value::String(text)
    } else if Array::is_array(value) {
        Value::Array(
            Array::from(value)
                .iter()
                .map(|item| from_js(&item))
                .collect(),
        )
    } else if value.is_object() {
        let entries = Object::entries(&Object::from(value.clone()));
        Value::Object(
            entries
                .iter()
                .filter_map(|entry| {
                    let pair = Array::from(&entry);
                    Some((pair.get(0).as_string()?, from_js(&pair.get(1))))
                })
                .collect(),
        )
    } else {
        Value::Null
    }
}

/// The string at `key` of an object.
pub(crate) fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key)?.as_str().map(str::to_string)
}

/// The whole number at `key` of an object.
pub(crate) fn int(value: &Value, key: &str) -> Option<i64> {
    value.get(key)?.as_i64()
}

#[cfg(test)]
mod tests {
    use super::{object, pairs, parse, read_pairs, string, strings};

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "lines\n\r\ttab",
            "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}",
            "感谢 🎉 & <b>",
            "\u{2028}\u{2029}",
        ] {
            let expected = serde_json::to_string(text).unwrap();
            assert_eq!(string(text), expected, "{text:?}");
        }
    }

    #[test]
    fn objects_are_compact_and_keep_their_order() {
        let text = object()
            .str("event", "submit")
            .opt_str("id", None)
            .int("ms", -3)
            .opt_int("status", Some(200))
            .bool("ok", true)
            .raw("codes", &strings(["a", "b"]))
            .finish();
        assert_eq!(
            text,
            r#"{"event":"submit","id":null,"ms":-3,"status":200,"ok":true,"codes":["a","b"]}"#
        );
        assert_eq!(object().finish(), "{}");
        assert_eq!(
            parse(&text).unwrap(),
            serde_json::json!({"event": "submit", "id": null, "ms": -3, "status": 200, "ok": true, "codes": ["a", "b"]})
        );
    }

    #[test]
    fn field_pairs_round_trip() {
        let fields = vec![
            ("email".to_string(), "ann@example.com".to_string()),
            ("note".to_string(), "\"hi\"\n".to_string()),
        ];
        let text = pairs(&fields);
        assert_eq!(
            text,
            serde_json::to_string(&fields).unwrap(),
            "the same text as before"
        );
        assert_eq!(read_pairs(&parse(&text).unwrap()), Some(fields));
        assert_eq!(read_pairs(&parse("[]").unwrap()), Some(Vec::new()));
        assert_eq!(read_pairs(&parse(r#"[["a"]]"#).unwrap()), None);
        assert_eq!(read_pairs(&parse(r#"[["a", 1]]"#).unwrap()), None);
        assert_eq!(read_pairs(&parse(r#"{"a": "b"}"#).unwrap()), None);
    }
}
