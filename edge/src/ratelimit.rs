//! Per-client rate limiting of submissions with the Workers rate limiting binding `RATE_LIMITER`
//! (wrangler `ratelimits`; its `simple = { limit, period }` sets how many posts one client may send
//! to one form per period). Over the limit the visitor gets 429 with `Retry-After` (the period).
//!
//! The client is the `CF-Connecting-IP` address (an IPv6 client by its /64, which one household or
//! phone usually holds whole), or one shared name when there is none (local development).
//! Without the binding, or when it fails, submissions are not limited: a lead is worth more than a
//! blocked flood, and `/health` says the limiter is off.

use std::net::IpAddr;

use worker::Env;

/// The binding's name, as edge/wrangler.toml declares it.
pub const BINDING: &str = "RATE_LIMITER";
/// The client name when the runtime gives no address.
const UNKNOWN_CLIENT: &str = "local";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Allowed,
    Limited,
    /// No binding, or the limiter failed: not limited. The reason is for the log.
    Off(&'static str),
}

/// The limiter's key for a post to `form_id` from `connecting_ip`.
pub fn client_key(form_id: &str, connecting_ip: Option<&str>) -> String {
    let client = match connecting_ip.map(str::trim).map(str::parse::<IpAddr>) {
        Some(Ok(IpAddr::V4(address))) => address.to_string(),
        Some(Ok(IpAddr::V6(address))) => {
            let segments = address.segments();
            format!(
                "{:x}:{:x}:{:x}:{:x}::/64",
                segments[0], segments[1], segments[2], segments[3]
            )
        }
        _ => UNKNOWN_CLIENT.to_string(),
    };
    format!("{form_id}|{client}")
}

/// Counts one post under `key`.
pub async fn check(env: &Env, enabled: bool, key: String) -> Limit {
    if !enabled {
        return Limit::Off("no_binding");
    }
    let Ok(limiter) = env.rate_limiter(BINDING) else {
        return Limit::Off("binding_unusable");
    };
    match limiter.limit(key).await {
        Ok(outcome) if outcome.success => Limit::Allowed,
        Ok(_) => Limit::Limited,
        Err(_) => Limit::Off("limiter_error"),
    }
}

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn clients_are_keyed_by_form_and_address() {
        let check = |ip: Option<&str>, expected: &str| {
            assert_eq!(client_key("contact", ip), expected, "{ip:?}");
        };
        check(Some("203.0.113.7"), "contact|203.0.113.7");
        check(Some(" 203.0.113.7 "), "contact|203.0.113.7");
        check(Some("2001:db8:1:2:3:4:5:6"), "contact|2001:db8:1:2::/64");
        check(Some("2001:db8:1:2::99"), "contact|2001:db8:1:2::/64");
        check(Some("::1"), "contact|0:0:0:0::/64");
        check(None, "contact|local");
        check(Some(""), "contact|local");
        check(Some("not an address"), "contact|local");
        assert_ne!(
            client_key("contact", Some("203.0.113.7")),
            client_key("quote", Some("203.0.113.7"))
        );
    }
}
