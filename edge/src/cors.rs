//! Origins: which sites may post to a form and read its answers. Only the profile's allowed origins
//! get CORS headers, and the header echoes the one matching origin (a list is rejected by browsers).

use closem_shared::{wire, Profile};
use worker::{Headers, Response};

/// Whether a request from `origin` may post to `profile`'s form. Requests without an Origin header
/// (curl, server-to-server) and same-origin posts (the hosted demo) pass; others must be on the
/// profile's allow-list, by the profile's own check.
pub(crate) fn origin_permitted(origin: Option<&str>, own_origin: &str, profile: &Profile) -> bool {
    match origin {
        None => true,
        Some(origin) => origin == own_origin || profile.origin_allowed(origin),
    }
}

/// The origin to echo in Access-Control-Allow-Origin, if this request's origin is on the profile's
/// list (no profile: no form, no CORS).
pub(crate) fn echoed_origin<'a>(
    origin: Option<&'a str>,
    profile: Option<&Profile>,
) -> Option<&'a str> {
    origin.filter(|origin| profile.is_some_and(|profile| profile.origin_allowed(origin)))
}

/// Adds the CORS headers for an allowed origin; always adds `Vary: Origin` so caches keep answers
/// for different origins apart.
pub(crate) fn apply(headers: &Headers, origin: Option<&str>) {
    let _ = headers.append("Vary", "Origin");
    if let Some(origin) = origin {
        let _ = headers.set("Access-Control-Allow-Origin", origin);
        let _ = headers.set("Access-Control-Expose-Headers", "Retry-After");
    }
}

/// `OPTIONS /f/{id}`: 204 with the allowed methods and headers for an allowed origin, 403 without
/// any CORS header otherwise.
pub(crate) fn preflight(origin: Option<&str>, profile: &Profile) -> worker::Result<Response> {
    let Some(origin) = echoed_origin(origin, Some(profile)) else {
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
        &["Content-Type, Accept, ", wire::KEY_HEADER].concat(),
    );
    let _ = headers.set("Access-Control-Max-Age", "600");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{echoed_origin, origin_permitted};
    use closem_shared::Forms;

    fn forms() -> Forms {
        Forms::from_json_str(
            r#"{"f": {"mode": "addcontact", "allowed_origins": ["https://shop.example", "https://www.example"]}}"#,
        )
        .expect("a valid profile")
    }

    #[test]
    fn only_listed_or_own_origins_may_post() {
        let forms = forms();
        let profile = forms.get("f").expect("the profile");
        let own = "https://forms.example";
        assert!(origin_permitted(None, own, profile));
        assert!(origin_permitted(Some(own), own, profile));
        assert!(origin_permitted(Some("https://www.example"), own, profile));
        assert!(!origin_permitted(
            Some("https://evil.example"),
            own,
            profile
        ));
        assert!(!origin_permitted(Some("null"), own, profile));
        assert!(!origin_permitted(
            Some("https://shop.example.evil"),
            own,
            profile
        ));
    }

    #[test]
    fn echoes_exactly_the_matching_origin() {
        let forms = forms();
        let profile = forms.get("f");
        assert_eq!(
            echoed_origin(Some("https://shop.example"), profile),
            Some("https://shop.example")
        );
        assert_eq!(echoed_origin(Some("https://c.example"), profile), None);
        assert_eq!(echoed_origin(None, profile), None);
        assert_eq!(echoed_origin(Some("https://shop.example"), None), None);
    }
}
