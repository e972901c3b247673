//! The only module that talks to CLOSEM: `POST {CLOSEM_BASE_URL}?m=api&auth={key}` with the
//! canonical fields as multipart form data, like the reference's curl examples, and the
//! submission's `Idempotency-Key` header (the same on every attempt).
//!
//! Errors from the runtime's fetch can quote the request URL, which holds the key; they are never
//! passed on or logged, only classified.

use wasm_bindgen::JsValue;

use crate::js::{self, NoAnswer};

use crate::config::Config;

/// Sent with every attempt so CLOSEM (or anything between) can recognise a repeat.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// How long CLOSEM gets to answer before the submission counts as not delivered.
pub const UPSTREAM_TIMEOUT_MS: u32 = 10_000;

/// What became of one forwarding attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// CLOSEM answered 2xx.
    Delivered { status: u16 },
    /// CLOSEM answered 4xx: retrying the same fields would be refused again.
    Refused { status: u16 },
    /// CLOSEM answered 5xx, or did not answer in time, or could not be reached: worth retrying.
    Unavailable { cause: Unavailable },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    Status(u16),
    Timeout,
    Network,
}

impl Delivery {
    /// CLOSEM's status, when it answered.
    pub fn status(self) -> Option<u16> {
        match self {
            Delivery::Delivered { status }
            | Delivery::Refused { status }
            | Delivery::Unavailable {
                cause: Unavailable::Status(status),
            } => Some(status),
            Delivery::Unavailable { .. } => None,
        }
    }

    /// A name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Delivery::Delivered { .. } => "delivered",
            Delivery::Refused { .. } => "refused",
            Delivery::Unavailable { cause } => cause.as_str(),
        }
    }
}

impl Unavailable {
    pub fn as_str(self) -> &'static str {
        match self {
            Unavailable::Status(_) => "upstream_status",
            Unavailable::Timeout => "timeout",
            Unavailable::Network => "network",
        }
    }
}

/// The request URL: the base URL with `m=api` and the key as `auth`, percent-encoded.
pub fn api_url(config: &Config) -> String {
    api_url_for(&config.base_url, config.api_key.expose())
}

fn api_url_for(base_url: &str, key: &str) -> String {
    let mut url = String::with_capacity(base_url.len() + key.len() + 16);
    url.push_str(base_url);
    url.push_str("?m=api&auth=");
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            url.push(byte as char);
        } else {
            url.push('%');
            url.push(char::from(b"0123456789ABCDEF"[usize::from(byte >> 4)]));
            url.push(char::from(b"0123456789ABCDEF"[usize::from(byte & 15)]));
        }
    }
    url
}

/// Classifies an upstream status code.
pub fn classify(status: u16) -> Delivery {
    match status {
        200..=299 => Delivery::Delivered { status },
        400..=499 => Delivery::Refused { status },
        _ => Delivery::Unavailable {
            cause: Unavailable::Status(status),
        },
    }
}

/// One attempt: `fields` as recorded in the ledger, `key` the submission's idempotency key.
pub async fn forward(config: &Config, fields: &[(String, String)], key: &str) -> Delivery {
    let Ok(form) = web_sys::FormData::new() else {
        return Delivery::Unavailable {
            cause: Unavailable::Network,
        };
    };
    for (name, value) in fields {
        if form.append_with_str(name, value).is_err() {
            return Delivery::Unavailable {
                cause: Unavailable::Network,
            };
        }
    }
    let headers = js::object(&[(IDEMPOTENCY_HEADER, JsValue::from_str(key))]);
    // The answer's body is read (and dropped) so the connection can be reused.
    let answer = js::post(
        &js_sys::global(),
        &api_url(config),
        headers,
        form.into(),
        Some(UPSTREAM_TIMEOUT_MS),
    )
    .await;
    match answer {
        Ok(posted) => classify(posted.status),
        Err(NoAnswer::Timeout) => Delivery::Unavailable {
            cause: Unavailable::Timeout,
        },
        Err(NoAnswer::Network) => Delivery::Unavailable {
            cause: Unavailable::Network,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{api_url_for, classify, Delivery, Unavailable};

    #[test]
    fn the_key_is_percent_encoded_into_the_query() {
        assert_eq!(
            api_url_for("https://app.closem.ai/", "abc123"),
            "https://app.closem.ai/?m=api&auth=abc123"
        );
        assert_eq!(
            api_url_for("http://127.0.0.1:9/", "a b&c=d/é"),
            "http://127.0.0.1:9/?m=api&auth=a%20b%26c%3Dd%2F%C3%A9"
        );
    }

    #[test]
    fn upstream_statuses_map_to_deliveries() {
        assert_eq!(classify(200), Delivery::Delivered { status: 200 });
        assert_eq!(classify(204), Delivery::Delivered { status: 204 });
        assert_eq!(classify(422), Delivery::Refused { status: 422 });
        assert_eq!(
            classify(503),
            Delivery::Unavailable {
                cause: Unavailable::Status(503)
            }
        );
        assert_eq!(
            classify(302),
            Delivery::Unavailable {
                cause: Unavailable::Status(302)
            }
        );
    }
}
