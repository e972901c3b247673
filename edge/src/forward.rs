//! The only module that talks to CLOSEM: `POST {CLOSEM_BASE_URL}?m=api&auth={key}` with the
//! canonical fields as multipart form data, like the reference's curl examples.
//!
//! Errors from the runtime's fetch can quote the request URL, which holds the key; they are never
//! passed on or logged, only classified.

use worker::{AbortSignal, Fetch, FormData, Method, Request, RequestInit, Url};

use crate::config::Config;

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

impl Unavailable {
    pub fn as_str(self) -> &'static str {
        match self {
            Unavailable::Status(_) => "upstream_status",
            Unavailable::Timeout => "timeout",
            Unavailable::Network => "network",
        }
    }
}

/// The request URL: the base URL with `m=api` and the key as `auth`, properly encoded.
pub fn api_url(config: &Config) -> Url {
    let mut url = config.base_url.clone();
    url.query_pairs_mut()
        .append_pair("m", "api")
        .append_pair("auth", config.api_key.expose());
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

pub async fn forward(config: &Config, fields: &[(&'static str, String)]) -> Delivery {
    let form = FormData::new();
    for (name, value) in fields {
        if form.append(name, value).is_err() {
            return Delivery::Unavailable {
                cause: Unavailable::Network,
            };
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(form.into()));
    let Ok(request) = Request::new_with_init(api_url(config).as_str(), &init) else {
        return Delivery::Unavailable {
            cause: Unavailable::Network,
        };
    };
    let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(UPSTREAM_TIMEOUT_MS));
    match Fetch::Request(request).send_with_signal(&signal).await {
        Ok(mut response) => {
            // Drain the body so the connection can be reused; its content is not needed.
            let _ = response.text().await;
            classify(response.status_code())
        }
        Err(_) if signal.aborted() => Delivery::Unavailable {
            cause: Unavailable::Timeout,
        },
        Err(_) => Delivery::Unavailable {
            cause: Unavailable::Network,
        },
    }
}
