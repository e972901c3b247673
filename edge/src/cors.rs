//! Origins: which sites may post to a form and read its answers. Only the profile's allowed origins
//! get CORS headers, and the header echoes the one matching origin (a list is rejected by browsers).

use worker::{Headers, Response};

/// Whether a request from `origin` may post to a form whose allow-list is `allowed`. Requests
/// without an Origin header (curl, server-to-server) and same-origin posts (the hosted demo) pass.
pub fn origin_permitted(origin: Option<&str>, own_origin: &str, allowed: &[String]) -> bool {
    match origin {
        None => true,
        Some(origin) => origin == own_origin || allowed.iter().any(|entry| entry == origin),
    }
}

/// The origin to echo in Access-Control-Allow-Origin, if this request's origin is on the list.
pub fn echoed_origin<'a>(origin: Option<&'a str>, allowed: &[String]) -> Option<&'a str> {
    origin.filter(|origin| allowed.iter().any(|entry| entry == origin))
}

/// Adds the CORS headers for an allowed origin; always adds `Vary: Origin` so caches keep answers
/// for different origins apart.
pub fn apply(headers: &Headers, origin: Option<&str>) {
    let _ = headers.append("Vary", "Origin");
    if let Some(origin) = origin {
        let _ = headers.set("Access-Control-Allow-Origin", origin);
        let _ = headers.set("Access-Control-Expose-Headers", "Retry-After");
    }
}

/// `OPTIONS /f/{id}`: 204 with the allowed methods and headers for an allowed origin, 403 without
/// any CORS header otherwise.
pub fn preflight(origin: Option<&str>, allowed: &[String]) -> worker::Result<Response> {
    let Some(origin) = echoed_origin(origin, allowed) else {
        let response = Response::empty()?.with_status(403);
        let _ = response.headers().set("Vary", "Origin");
        return Ok(response);
    };
    let response = Response::empty()?.with_status(204);
    let headers = response.headers();
    apply(headers, Some(origin));
    let _ = headers.set("Access-Control-Allow-Methods", "POST, OPTIONS");
    let _ = headers.set(
        "Access-Control-Allow-Headers",
        "Content-Type, Accept, Idempotency-Key",
    );
    let _ = headers.set("Access-Control-Max-Age", "600");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{echoed_origin, origin_permitted};

    #[test]
    fn only_listed_or_own_origins_may_post() {
        let allowed = vec![
            "https://shop.example".to_string(),
            "https://www.example".to_string(),
        ];
        let own = "https://forms.example";
        assert!(origin_permitted(None, own, &allowed));
        assert!(origin_permitted(Some(own), own, &allowed));
        assert!(origin_permitted(Some("https://www.example"), own, &allowed));
        assert!(!origin_permitted(
            Some("https://evil.example"),
            own,
            &allowed
        ));
        assert!(!origin_permitted(Some("null"), own, &allowed));
        assert!(!origin_permitted(
            Some("https://shop.example.evil"),
            own,
            &allowed
        ));
    }

    #[test]
    fn echoes_exactly_the_matching_origin() {
        let allowed = vec![
            "https://a.example".to_string(),
            "https://b.example".to_string(),
        ];
        assert_eq!(
            echoed_origin(Some("https://b.example"), &allowed),
            Some("https://b.example")
        );
        assert_eq!(echoed_origin(Some("https://c.example"), &allowed), None);
        assert_eq!(echoed_origin(None, &allowed), None);
    }
}
