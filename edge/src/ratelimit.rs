//! Per-client rate limiting of submissions with the Workers rate limiting binding `RATE_LIMITER`
//! (wrangler `ratelimits`; its `simple = { limit, period }` sets how many posts one client may send
//! to one form per period). Over the limit the visitor gets 429 with `Retry-After` (the period).
//!
//! The client is the `CF-Connecting-IP` address (an IPv6 client by its /64, which one household or
//! phone usually holds whole), or one shared name when there is none (local development).
//! Without the binding, or when it fails, submissions are not limited: a lead is worth more than a
//! blocked flood, and `/health` says the limiter is off.

// branch `config` edits this file now; narrow its `pub` items once that lands (issue 15).
#![allow(unreachable_pub)]

use wasm_bindgen::JsValue;
use worker::Env;

use crate::js;

/// The binding's name, as edge/wrangler.jsonc declares it.
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
    let address = connecting_ip.map(str::trim);
    let client = if let Some(v4) = address.filter(|address| ipv4(address).is_some()) {
        v4.to_string()
    } else if let Some(segments) = address.and_then(ipv6) {
        let hex = |segment: u16| format!("{segment:x}");
        [
            &hex(segments[0]),
            ":",
            &hex(segments[1]),
            ":",
            &hex(segments[2]),
            ":",
            &hex(segments[3]),
            "::/64",
        ]
        .concat()
    } else {
        UNKNOWN_CLIENT.to_string()
    };
    [form_id, "|", &client].concat()
}

// The address parsers accept exactly what `std::net::IpAddr`'s `FromStr` accepts (a test checks
// them against it); std's parser and `Display` cost the worker several KB.

/// The octets of a dotted IPv4 address: four decimal numbers to 255, no leading zeros.
fn ipv4(text: &str) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        let digits_ok = (1..=3).contains(&part.len())
            && part.bytes().all(|byte| byte.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'));
        if !digits_ok {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then_some(octets)
}

/// The eight segments of an IPv6 address (`::` for one or more zero groups, and a dotted IPv4
/// address allowed as the last 32 bits).
fn ipv6(text: &str) -> Option<[u16; 8]> {
    let (head, tail) = match text.split_once("::") {
        Some((head, tail)) => (head, Some(tail)),
        None => (text, None),
    };
    let head = groups(head)?;
    let mut segments = [0u16; 8];
    match tail {
        None if head.len() == 8 => segments.copy_from_slice(&head),
        None => return None,
        Some(tail) => {
            let tail = groups(tail)?;
            // `::` stands for at least one group, and an IPv4 part only ends the address.
            let ipv4_in_head = text
                .split_once("::")
                .is_some_and(|(head, _)| head.contains('.'));
            if head.len() + tail.len() > 7 || ipv4_in_head {
                return None;
            }
            segments[..head.len()].copy_from_slice(&head);
            segments[8 - tail.len()..].copy_from_slice(&tail);
        }
    }
    Some(segments)
}

/// `h:h:...` (1 to 4 hex digits each), the last possibly a dotted IPv4 address (two groups).
fn groups(text: &str) -> Option<Vec<u16>> {
    let mut groups = Vec::new();
    if text.is_empty() {
        return Some(groups);
    }
    let mut parts = text.split(':').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() && part.contains('.') {
            let [a, b, c, d] = ipv4(part)?;
            groups.push(u16::from_be_bytes([a, b]));
            groups.push(u16::from_be_bytes([c, d]));
        } else if (1..=4).contains(&part.len()) && part.bytes().all(|byte| byte.is_ascii_hexdigit())
        {
            groups.push(u16::from_str_radix(part, 16).ok()?);
        } else {
            return None;
        }
        if groups.len() > 8 {
            return None;
        }
    }
    Some(groups)
}

/// Counts one post under `key`.
pub async fn check(env: &Env, enabled: bool, key: String) -> Limit {
    if !enabled {
        return Limit::Off("no_binding");
    }
    let Some(limiter) = js::get(env, BINDING) else {
        return Limit::Off("binding_unusable");
    };
    let options = js::object(&[("key", JsValue::from(key))]);
    match js::call_async(&limiter, "limit", &[options]).await {
        Ok(outcome) => match js::get(&outcome, "success").and_then(|success| success.as_bool()) {
            Some(true) => Limit::Allowed,
            Some(false) => Limit::Limited,
            None => Limit::Off("limiter_error"),
        },
        Err(_) => Limit::Off("limiter_error"),
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use proptest::prelude::*;

    use super::{client_key, ipv4, ipv6};

    /// What std's parser makes of `text`, in the hand parsers' terms.
    fn std_parse(text: &str) -> (Option<[u8; 4]>, Option<[u16; 8]>) {
        match text.parse::<IpAddr>() {
            Ok(IpAddr::V4(address)) => (Some(address.octets()), None),
            Ok(IpAddr::V6(address)) => (None, Some(address.segments())),
            Err(_) => (None, None),
        }
    }

    #[test]
    fn addresses_are_parsed_as_std_parses_them() {
        for text in [
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.1",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "+1.2.3.4",
            "::",
            ":::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::8",
            "1:2:3:4:5:6::7:8",
            "1:2:3:4:5:6:7:8::",
            "1:2:3:4:5:6:7",
            "1::2::3",
            "1::2:",
            ":1::2",
            "00000::1",
            "0001:0db8::ABCD",
            "+1::2",
            "::ffff:192.0.2.1",
            "64:ff9b::192.0.2.1",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "1.2.3.4::",
            "1.2.3.4::5",
            "::1.2.3.4:5",
            "fe80::1%eth0",
            "",
        ] {
            let expected = std_parse(text);
            assert_eq!(
                (ipv4(text), ipv6(text).filter(|_| ipv4(text).is_none())),
                expected,
                "{text}"
            );
        }
    }

    proptest! {
        #[test]
        fn random_addresses_are_parsed_as_std_parses_them(text in "[0-9a-fA-F:.]{0,24}") {
            let expected = std_parse(&text);
            prop_assert_eq!((ipv4(&text), ipv6(&text).filter(|_| ipv4(&text).is_none())), expected);
        }
    }

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
