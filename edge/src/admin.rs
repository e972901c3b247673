//! Operators' routes, behind the `ADMIN_TOKEN` bearer token (without the secret they do not exist:
//! 404, like any unknown path; a wrong or missing token is 401):
//!
//! - `GET /admin/submissions[?state=pending|delivered|refused|dead][&limit=N]`: counts per state
//!   and the newest submissions (with the fields CLOSEM receives, so an operator can act on them),
//!   and per form the bots turned away (`spam`: honeypot, fill_time, turnstile).
//! - `POST /admin/replay[?key=K][&limit=N]`: every dead submission (up to 1000 a call, the oldest
//!   first; or the one `K`, if dead or pending) back to pending and onto the queue. The answer
//!   lists the keys queued; call again while it is not empty.
//!
//! Answers are JSON for operators, not visitors' outcomes, so they are built here rather than in
//! respond.rs. Nothing here is logged beyond counts.

use worker::{Env, Method, Request, Response, Result};

use crate::config::Config;
use crate::idempotency;
use crate::json;
use crate::ledger::{LedgerClient, State};
use crate::log;
use crate::queue;
use crate::respond::{issues, json_response, Problem};

/// Rows listed unless `limit` says; a replay takes up to [`MAX_LIMIT`].
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// Whether `path` is one of the admin routes (so the router sends it here).
pub fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// `None` when the admin routes are off (no secret): the router answers its ordinary 404.
pub async fn handle_admin(req: &Request, env: &Env, config: &Config) -> Option<Result<Response>> {
    let token = config.admin_token.as_ref()?;
    let presented = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .map(|token| token.trim().to_string())
        });
    if !presented.is_some_and(|presented| token.matches(&presented)) {
        return Some(unauthorized());
    }
    let query = query_pairs(req);
    let path = req.path();
    Some(match (req.method(), path.as_str()) {
        (Method::Get, "/admin/submissions") => list(env, &query).await,
        (Method::Post, "/admin/replay") => replay(env, &query).await,
        (_, "/admin/submissions" | "/admin/replay") => problem(
            405,
            "method.not_allowed",
            "use GET /admin/submissions or POST /admin/replay",
        ),
        _ => problem(
            404,
            "admin.unknown",
            "the admin routes are GET /admin/submissions and POST /admin/replay",
        ),
    })
}

async fn list(env: &Env, query: &[(String, String)]) -> Result<Response> {
    let state = match value(query, "state") {
        None | Some("" | "all") => None,
        Some(text) => match State::parse(text) {
            Some(state) => Some(state),
            None => {
                return problem(
                    400,
                    "admin.state",
                    "state must be pending, delivered, refused or dead",
                )
            }
        },
    };
    let Some(limit) = limit(query, DEFAULT_LIMIT) else {
        return bad_limit();
    };
    let Ok(ledger) = LedgerClient::open(env) else {
        return unavailable();
    };
    match ledger.list(state, limit).await {
        Ok(listing) => json(listing, 200),
        Err(_) => unavailable(),
    }
}

async fn replay(env: &Env, query: &[(String, String)]) -> Result<Response> {
    let key = value(query, "key");
    if key.is_some_and(|key| !idempotency::is_key(key)) {
        return problem(
            400,
            "admin.key",
            "key must be a submission id as listed by /admin/submissions",
        );
    }
    let Some(limit) = limit(query, MAX_LIMIT) else {
        return bad_limit();
    };
    let Ok(ledger) = LedgerClient::open(env) else {
        return unavailable();
    };
    let Ok(replayed) = ledger.replay(key, limit).await else {
        return unavailable();
    };
    let mut queued = Vec::new();
    let mut failed = Vec::new();
    for key in replayed {
        if queue::enqueue(env, &key).await.is_ok() {
            let _ = ledger.queued(&key).await;
            queued.push(key);
        } else {
            // Back to dead so a later replay picks it up again.
            let _ = ledger.dead(&key).await;
            failed.push(key);
        }
    }
    let count = |keys: &[String]| i64::try_from(keys.len()).unwrap_or(i64::MAX);
    log::write(
        log::line("replay")
            .int("queued", count(&queued))
            .int("failed", count(&failed)),
    );
    let status = if failed.is_empty() { 200 } else { 503 };
    let body = json::object()
        .bool("ok", failed.is_empty())
        .raw("queued", &json::strings(queued.iter().map(String::as_str)))
        .raw("failed", &json::strings(failed.iter().map(String::as_str)))
        .finish();
    json(body, status)
}

fn limit(query: &[(String, String)], default: u32) -> Option<u32> {
    match value(query, "limit") {
        None => Some(default),
        Some(text) => text
            .parse()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit)),
    }
}

fn value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The query's pairs, percent-decoded (without the `url` crate, whose tables would swell the worker).
fn query_pairs(req: &Request) -> Vec<(String, String)> {
    pairs_of_url(&req.inner().url())
}

/// A query is urlencoded like a form body: the body parser decodes it, within the same limits. A
/// query it refuses (invalid UTF-8, too many pairs) counts as empty, so filters fall back to
/// their defaults.
fn pairs_of_url(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let query = query.split('#').next().unwrap_or_default();
    crate::body::parse_urlencoded(query.as_bytes(), &crate::body::LIMITS).unwrap_or_default()
}

fn bad_limit() -> Result<Response> {
    problem(
        400,
        "admin.limit",
        "limit must be a whole number from 1 to 1000",
    )
}

fn json(body: String, status: u16) -> Result<Response> {
    let response = json_response(body, status)?;
    response.headers().set("Cache-Control", "no-store")?;
    Ok(response)
}

fn problem(status: u16, code: &str, message: &str) -> Result<Response> {
    let body = json::object()
        .bool("ok", false)
        .raw("issues", &issues(&[Problem::form(code, message)]))
        .finish();
    json(body, status)
}

fn unauthorized() -> Result<Response> {
    let response = problem(
        401,
        "admin.unauthorized",
        "send Authorization: Bearer <ADMIN_TOKEN>",
    )?;
    response.headers().set("WWW-Authenticate", "Bearer")?;
    Ok(response)
}

fn unavailable() -> Result<Response> {
    problem(
        503,
        "admin.ledger_unavailable",
        "the ledger could not be reached: try again",
    )
}

#[cfg(test)]
mod tests {
    use super::pairs_of_url;

    #[test]
    fn query_values_are_percent_decoded() {
        let check = |url: &str, expected: &[(&str, &str)]| {
            let pairs = pairs_of_url(url);
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            assert_eq!(pairs, expected, "{url}");
        };
        check(
            "https://f.example/admin/submissions?state=dead",
            &[("state", "dead")],
        );
        check(
            "https://f.example/admin/replay?key=a+b&limit=%35",
            &[("key", "a b"), ("limit", "5")],
        );
        check(
            "https://f.example/admin/replay?key=%zz#frag",
            &[("key", "%zz")],
        );
        check("https://f.example/admin/replay?key=%C3%A9", &[("key", "é")]);
        check("https://f.example/admin/submissions", &[]);
        check("https://f.example/admin/replay?key=%FF", &[]);
    }
}
