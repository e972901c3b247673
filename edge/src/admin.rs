//! Operators' routes, behind the `ADMIN_TOKEN` bearer token (without the secret they do not exist:
//! 404, like any unknown path; a wrong or missing token is 401). Each asks every ledger shard (or
//! the one an id names) and merges the answers:
//!
//! - `GET /admin/submissions[?state=pending|held|delivered|refused|dead|spam][&form=F][&limit=N][&before=C]`:
//!   counts per state (kept by the shards, not counted by scanning), per form the counts per
//!   state (`forms`) and the bots turned away (`spam`: honeypot, fill_time, turnstile), and one
//!   page of submissions (of form F, if named), newest first, with the fields CLOSEM receives;
//!   `next` is the cursor of the following page (`before=`).
//!
//! The operators' dashboard (`GET /admin`, dashboard/) is a static page of the worker's assets,
//! served before the worker sees the request; it calls these routes with the token.
//! - `GET /admin/submissions/{id}`: one submission with its timeline (recorded, each attempt with
//!   its time, CLOSEM's status and a key-free excerpt of its answer, operators' actions).
//! - `POST /admin/replay[?id=ID][&state=S][&limit=N][&include_delivered=1]`: the one submission
//!   `ID`, or up to N (1000) in state S (dead unless said; `spam` releases quarantined ones) of
//!   every shard, back to pending; the shards' alarms queue them. A delivered submission only with
//!   `include_delivered=1`. The answer lists the ids; call again while it is not empty.
//! - `POST /admin/erase?email=E` or `?phone=P`: deletes every submission of that person on every
//!   shard (a person's right to erasure); the answer says how many went.
//!
//! Answers are JSON for operators, not visitors' outcomes, so they are built here rather than in
//! respond.rs. Nothing here is logged beyond counts.

// branch `dash` is rewriting this file now; narrow its `pub` items once that lands (issue 15).
#![allow(unreachable_pub)]

use closem_shared::{Email, Phone};
use serde_json::Value;
use worker::{Env, Method, Request, Response, Result};

use crate::config::Config;
use crate::json;
use crate::ledger::shard::SubmissionId;
use crate::ledger::{self, LedgerClient, ListQuery, ReplayOrder, SpamCounts, State};
use crate::log;
use crate::respond::{issues, json_response, ClientProblem};

/// Rows listed unless `limit` says; a replay takes up to [`MAX_LIMIT`].
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;
const ROUTES: &str = "the admin routes are GET /admin/submissions, GET /admin/submissions/{id}, \
                      POST /admin/replay and POST /admin/erase";

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
    let one = path.strip_prefix("/admin/submissions/");
    Some(match (req.method(), path.as_str(), one) {
        (Method::Get, "/admin/submissions", _) => list(env, config, &query).await,
        (Method::Get, _, Some(id)) => timeline(env, id).await,
        (Method::Post, "/admin/replay", _) => replay(env, config, &query).await,
        (Method::Post, "/admin/erase", _) => erase(env, config, &query).await,
        (_, "/admin/submissions" | "/admin/replay" | "/admin/erase", _) | (_, _, Some(_)) => {
            problem(405, "method.not_allowed", ROUTES)
        }
        _ => problem(404, "admin.unknown", ROUTES),
    })
}

fn parse_state(
    query: &[(String, String)],
    default: Option<State>,
) -> std::result::Result<Option<State>, ()> {
    match value(query, "state") {
        None | Some("") => Ok(default),
        Some("all") if default.is_none() => Ok(None),
        Some(text) => State::parse(text).map(Some).ok_or(()),
    }
}

fn bad_state() -> Result<Response> {
    problem(
        400,
        "admin.state",
        "state must be pending, held, delivered, refused, dead or spam",
    )
}

async fn list(env: &Env, config: &Config, query: &[(String, String)]) -> Result<Response> {
    let Ok(state) = parse_state(query, None) else {
        return bad_state();
    };
    let Some(limit) = limit(query, DEFAULT_LIMIT) else {
        return bad_limit();
    };
    let before = match value(query, "before") {
        None | Some("") => None,
        Some(cursor) => match parse_cursor(cursor) {
            Some(before) => Some(before),
            None => {
                return problem(
                    400,
                    "admin.before",
                    "before must be the `next` cursor of an earlier page",
                )
            }
        },
    };
    let form = match value(query, "form") {
        None | Some("") => None,
        Some(form) if form.len() <= 64 && !form.contains(['/', '\0']) => Some(form.to_string()),
        Some(_) => {
            return problem(
                400,
                "admin.form",
                "form must be a form id as /health lists them",
            )
        }
    };
    let shard_query = ListQuery {
        state,
        form,
        limit,
        before,
    };
    let Some(listings) = ledger::list_all(env, config.all_shards(), &shard_query).await else {
        return unavailable();
    };
    json(merge_listings(&listings, limit), 200)
}

/// One listing from the shards' own: counts and spam counters summed, entries merged newest
/// first (by creation time, then id) and cut to `limit`, with the cursor of the next page. Each
/// shard sends its page newest first, every entry as JSON text beside its `[created, id]`.
fn merge_listings(listings: &[Value], limit: u32) -> String {
    let counts = sum_counts(listings);
    let spam = sum_spam(listings);
    let forms = sum_form_counts(listings);
    let (picked, next) = merge_pages(listings, limit);
    let mut spam_object = json::object();
    for (form, traps) in &spam {
        spam_object.raw(form, &traps.to_json());
    }
    let mut forms_object = json::object();
    for (form, counts) in &forms {
        forms_object.raw(form, &by_state(counts));
    }
    json::object()
        .raw("counts", &by_state(&counts))
        .raw("spam", &spam_object.finish())
        .raw("forms", &forms_object.finish())
        .raw(
            "submissions",
            &json::array(picked.iter().map(|(_, _, entry)| entry.to_string())),
        )
        .opt_str("next", next.as_deref())
        .finish()
}

/// Counts per state (in `State::ALL`'s order), as `{"queued": n, ...}`.
fn by_state(counts: &[i64; State::ALL.len()]) -> String {
    let mut object = json::object();
    for (state, n) in State::ALL.into_iter().zip(counts) {
        object.int(state.as_str(), (*n).max(0));
    }
    object.finish()
}

/// The shards' counts per state, summed.
fn sum_counts(listings: &[Value]) -> [i64; State::ALL.len()] {
    let mut counts = [0i64; State::ALL.len()];
    for listing in listings {
        for (index, state) in State::ALL.into_iter().enumerate() {
            counts[index] += json::int(&listing["counts"], state.as_str()).unwrap_or(0);
        }
    }
    counts
}

/// The shards' spam counters (`[form, trap, n]` triples), summed per form, in order of the forms'
/// ids (an insertion sort: a few forms, and std's sorts cost KB).
fn sum_spam(listings: &[Value]) -> Vec<(String, SpamCounts)> {
    let mut spam: Vec<(String, SpamCounts)> = Vec::new();
    for triple in listings
        .iter()
        .flat_map(|listing| listing["spam"].as_array().into_iter().flatten())
    {
        let (Some(form), Some(trap), Some(n)) =
            (triple[0].as_str(), triple[1].as_str(), triple[2].as_u64())
        else {
            continue;
        };
        match spam.iter_mut().find(|(known, _)| known == form) {
            Some((_, counts)) => counts.add(trap, n),
            None => {
                let mut counts = SpamCounts::default();
                counts.add(trap, n);
                spam.push((form.to_string(), counts));
            }
        }
    }
    for unsorted in 1..spam.len() {
        let mut at = unsorted;
        while at > 0 && spam[at - 1].0 > spam[at].0 {
            spam.swap(at - 1, at);
            at -= 1;
        }
    }
    spam
}

/// The shards' per-form counts (`[form, state, n]` triples), summed per form and state.
fn sum_form_counts(listings: &[Value]) -> Vec<(String, [i64; State::ALL.len()])> {
    let mut forms: Vec<(String, [i64; State::ALL.len()])> = Vec::new();
    for triple in listings
        .iter()
        .flat_map(|listing| listing["forms"].as_array().into_iter().flatten())
    {
        let (Some(form), Some(state), Some(n)) = (
            triple[0].as_str(),
            triple[1].as_str().and_then(State::parse),
            triple[2].as_i64(),
        ) else {
            continue;
        };
        let at = State::ALL
            .iter()
            .position(|known| *known == state)
            .unwrap_or(0);
        match forms.iter_mut().find(|(known, _)| known == form) {
            Some((_, counts)) => counts[at] += n,
            None => {
                let mut counts = [0i64; State::ALL.len()];
                counts[at] = n;
                forms.push((form.to_string(), counts));
            }
        }
    }
    forms
}

/// The shards' pages merged newest first and cut to `limit`: each entry's `(created, id, JSON)`,
/// and the cursor of the next page when there is one.
fn merge_pages(listings: &[Value], limit: u32) -> (Vec<(i64, String, &str)>, Option<String>) {
    let pages: Vec<(&Vec<Value>, &Vec<Value>)> = listings
        .iter()
        .filter_map(|listing| Some((listing["order"].as_array()?, listing["entries"].as_array()?)))
        .collect();
    let order = |key: &Value| {
        (
            key[0].as_i64().unwrap_or(0),
            key[1].as_str().unwrap_or_default().to_string(),
        )
    };
    // Taking one more than the page tells whether another follows.
    let mut heads = vec![0usize; pages.len()];
    let mut picked: Vec<(i64, String, &str)> = Vec::new();
    while picked.len() <= limit as usize {
        let mut best: Option<(usize, (i64, String))> = None;
        for (index, (keys, _)) in pages.iter().enumerate() {
            if let Some(key) = keys.get(heads[index]) {
                let key = order(key);
                if best.as_ref().is_none_or(|(_, best)| key > *best) {
                    best = Some((index, key));
                }
            }
        }
        let Some((index, (created, id))) = best else {
            break;
        };
        let entry = pages[index].1.get(heads[index]).and_then(Value::as_str);
        picked.push((created, id, entry.unwrap_or("null")));
        heads[index] += 1;
    }
    let more = picked.len() > limit as usize;
    picked.truncate(limit as usize);
    let next = picked
        .last()
        .filter(|_| more)
        .map(|(created, id, _)| [created.to_string(), id.clone()].join("."));
    (picked, next)
}

/// `{created_ms}.{id}`, as `next` gives it.
fn parse_cursor(cursor: &str) -> Option<(i64, String)> {
    let (created, id) = cursor.split_once('.')?;
    let created: i64 = created.parse().ok()?;
    SubmissionId::parse(id)?;
    Some((created, id.to_string()))
}

async fn timeline(env: &Env, id: &str) -> Result<Response> {
    let Some(parsed) = SubmissionId::parse(id) else {
        return bad_id();
    };
    let Ok(ledger) = LedgerClient::for_id(env, &parsed) else {
        return unavailable();
    };
    match ledger.get(id).await {
        Ok(Some(entry)) => json(
            json::object()
                .bool("ok", true)
                .raw("submission", &entry)
                .finish(),
            200,
        ),
        Ok(None) => problem(404, "admin.no_submission", "no submission has this id"),
        Err(_) => unavailable(),
    }
}

async fn replay(env: &Env, config: &Config, query: &[(String, String)]) -> Result<Response> {
    let id = value(query, "id").or_else(|| value(query, "key"));
    let parsed = match id {
        Some(id) => match SubmissionId::parse(id) {
            Some(parsed) => Some(parsed),
            None => return bad_id(),
        },
        None => None,
    };
    let Ok(Some(state)) = parse_state(query, Some(State::Dead)) else {
        return bad_state();
    };
    let Some(limit) = limit(query, MAX_LIMIT) else {
        return bad_limit();
    };
    let include_delivered = matches!(value(query, "include_delivered"), Some("1" | "true"));
    let order = ReplayOrder {
        id: id.map(str::to_string),
        state,
        limit,
        include_delivered,
    };
    let replayed = match &parsed {
        Some(parsed) => match LedgerClient::for_id(env, parsed) {
            Ok(ledger) => ledger.replay(&order).await.ok(),
            Err(_) => None,
        },
        None => ledger::replay_all(env, config.all_shards(), &order).await,
    };
    let Some(mut queued) = replayed else {
        return unavailable();
    };
    queued.truncate(limit as usize);
    log::write(
        log::line("replay")
            .str("state", state.as_str())
            .int("queued", i64::try_from(queued.len()).unwrap_or(i64::MAX)),
    );
    let body = json::object()
        .bool("ok", true)
        .raw("queued", &json::strings(queued.iter().map(String::as_str)))
        .finish();
    json(body, 200)
}

/// `POST /admin/erase?email=...|phone=...`: every submission of that person, in every shard,
/// erased (the right to erasure); 400 listing every problem with the query.
async fn erase(env: &Env, config: &Config, query: &[(String, String)]) -> Result<Response> {
    let (email, phone) = match erasure_contact(query) {
        Ok(contact) => contact,
        Err(problems) => {
            let body = json::object()
                .bool("ok", false)
                .raw("issues", &issues(&problems))
                .finish();
            return json(body, 400);
        }
    };
    let (Some(email), Some(phone)) = (
        ledger::contact_digest("email", email.as_ref().map(Email::as_str)).await,
        ledger::contact_digest("phone", phone.as_ref().map(Phone::as_str)).await,
    ) else {
        return unavailable();
    };
    let Some(erased) =
        ledger::erase_all(env, config.all_shards(), email.as_deref(), phone.as_deref()).await
    else {
        return unavailable();
    };
    log::write(log::line("erase").int("erased", i64::try_from(erased).unwrap_or(i64::MAX)));
    let body = json::object()
        .bool("ok", true)
        .int("erased", i64::try_from(erased).unwrap_or(i64::MAX))
        .finish();
    json(body, 200)
}

/// The person an erasure names: an email, a phone or both, each in a format CLOSEM stores; every
/// problem with the query otherwise.
fn erasure_contact(
    query: &[(String, String)],
) -> std::result::Result<(Option<Email>, Option<Phone>), Vec<ClientProblem>> {
    let email = value(query, "email").filter(|text| !text.trim().is_empty());
    let phone = value(query, "phone").filter(|text| !text.trim().is_empty());
    let mut problems = Vec::new();
    let email = parsed(
        &mut problems,
        "email",
        "email must be an email address like ann@example.com",
        email.map(Email::parse),
    );
    // Either rule's numbers may be stored: North American ones as their forms write them, any
    // other with its country code.
    let international = closem_shared::PhoneRule::International {
        default_country: None,
    };
    let phone = parsed(
        &mut problems,
        "phone",
        "phone must look like +1 (555) 444-3333",
        phone.map(|phone| Phone::parse(phone).or_else(|_| Phone::parse_with(phone, international))),
    );
    if problems.is_empty() && email.is_none() && phone.is_none() {
        problems.push(ClientProblem::form(
            "admin.erase",
            "name the person: POST /admin/erase?email=... or ?phone=...",
        ));
    }
    if problems.is_empty() {
        Ok((email, phone))
    } else {
        Err(problems)
    }
}

/// A query parameter's parsed value; one that is there but does not parse is a problem on it.
fn parsed<T, E>(
    problems: &mut Vec<ClientProblem>,
    name: &str,
    message: &str,
    outcome: Option<std::result::Result<T, E>>,
) -> Option<T> {
    match outcome? {
        Ok(value) => Some(value),
        Err(_) => {
            problems.push(ClientProblem {
                field: Some(name.to_string()),
                code: ["admin.", name].concat(),
                message: message.to_string(),
            });
            None
        }
    }
}

fn bad_id() -> Result<Response> {
    problem(
        400,
        "admin.id",
        "id must be a submission id as listed by /admin/submissions",
    )
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
        .raw("issues", &issues(&[ClientProblem::form(code, message)]))
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
    use super::{merge_listings, pairs_of_url, parse_cursor};

    #[test]
    fn listings_of_shards_merge_newest_first_with_a_cursor() {
        let shard = |counts: serde_json::Value, spam: serde_json::Value, ids: &[(i64, &str)]| {
            let order: Vec<serde_json::Value> = ids
                .iter()
                .map(|(created, id)| serde_json::json!([created, id]))
                .collect();
            let entries: Vec<String> = ids
                .iter()
                .map(|(created, id)| {
                    serde_json::json!({"id": id, "created_ms": created}).to_string()
                })
                .collect();
            serde_json::json!({"counts": counts, "spam": spam, "order": order, "entries": entries})
        };
        let a = "s0-k00000000000000000000000000000000";
        let b = "s1-k00000000000000000000000000000001";
        let c = "s1-k00000000000000000000000000000002";
        let listings = [
            shard(
                serde_json::json!({"pending": 1, "delivered": 2}),
                serde_json::json!([["contact", "honeypot", 1]]),
                &[(30, a)],
            ),
            shard(
                serde_json::json!({"pending": 2, "spam": 1}),
                serde_json::json!([
                    ["contact", "honeypot", 2],
                    ["contact", "fill_time", 1],
                    ["a", "turnstile", 4]
                ]),
                &[(40, b), (10, c)],
            ),
        ];
        let merged: serde_json::Value =
            serde_json::from_str(&merge_listings(&listings, 2)).unwrap();
        assert_eq!(merged["counts"]["pending"], 3, "{merged}");
        assert_eq!(merged["counts"]["delivered"], 2, "{merged}");
        assert_eq!(merged["counts"]["held"], 0, "{merged}");
        assert_eq!(merged["spam"]["contact"]["honeypot"], 3, "{merged}");
        assert_eq!(merged["spam"]["contact"]["fill_time"], 1, "{merged}");
        assert_eq!(merged["spam"]["a"]["turnstile"], 4, "{merged}");
        let ids: Vec<&str> = merged["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [b, a]);
        assert_eq!(merged["next"], format!("30.{a}"));
        assert_eq!(parse_cursor(&format!("30.{a}")), Some((30, a.to_string())));
        assert_eq!(parse_cursor("30.nope"), None);
        assert_eq!(parse_cursor(a), None);
        let all: serde_json::Value = serde_json::from_str(&merge_listings(&listings, 3)).unwrap();
        assert!(all["next"].is_null(), "{all}");
        assert_eq!(all["submissions"].as_array().map(Vec::len), Some(3));
    }

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
