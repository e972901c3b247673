//! The one place where outcomes become HTTP responses: JSON for clients that ask for it (the
//! widget), a 303 or an HTML page for native form posts.

use closem_shared::wire::{answer as keys, code};
use worker::Response;

use crate::cors;
use crate::json;
use crate::pages;

/// One problem as clients see it: `{field, code, message}`; `field` is null for form-level problems.
#[derive(Debug, Clone)]
pub(crate) struct ClientProblem {
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

impl ClientProblem {
    pub(crate) fn form(code: &str, message: &str) -> ClientProblem {
        ClientProblem {
            field: None,
            code: code.to_string(),
            message: message.to_string(),
        }
    }
}

/// Every way a request to the edge can end.
#[derive(Debug)]
pub(crate) enum VisitorAnswer {
    /// Accepted: recorded in the ledger and queued for delivery (or a resubmission of one that
    /// was). `id` is the submission's id; `redirect` the profile's allow-listed thank-you URL.
    Accepted {
        id: String,
        redirect: Option<String>,
    },
    /// The client's input is wrong: a 4xx listing every problem.
    Invalid {
        status: u16,
        problems: Vec<ClientProblem>,
    },
    /// The submission could not be recorded or queued, so it was not accepted: retry later.
    Unavailable,
    NotFound,
    MethodNotAllowed,
    /// The request's Origin is not on the form's allow-list.
    OriginForbidden,
    /// Too many posts from this client to this form: 429, retry after `retry_after` seconds.
    RateLimited {
        retry_after: u32,
    },
    /// The form needs a Turnstile token that verifies; `missing` when none was sent.
    TurnstileFailed {
        missing: bool,
    },
    /// The worker's bindings are wrong; /health lists the problems.
    NotConfigured,
}

/// How the client wants its answer, and what CORS allows it to read.
pub(crate) struct Reply<'a> {
    pub wants_json: bool,
    pub cors_origin: Option<&'a str>,
    /// Where "go back" points on the native error page.
    pub back: Option<&'a str>,
}

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECONDS: &str = "30";

/// The status of a fixed answer and its one form-level problem (`None` for `Accepted` and
/// `Invalid`, whose problems are their own).
fn fixed(answer: &VisitorAnswer) -> Option<(u16, &'static str, &'static str)> {
    Some(match answer {
        VisitorAnswer::Accepted { .. } | VisitorAnswer::Invalid { .. } => return None,
        VisitorAnswer::Unavailable => (
            503,
            code::UNAVAILABLE,
            "the form could not be sent just now: please try again in a minute",
        ),
        VisitorAnswer::NotFound => (404, "form.unknown", "there is no form with this id"),
        VisitorAnswer::MethodNotAllowed => (405, "method.not_allowed", "send the form with POST"),
        VisitorAnswer::OriginForbidden => (
            403,
            "origin.forbidden",
            "this site is not allowed to send this form",
        ),
        VisitorAnswer::RateLimited { .. } => (
            429,
            "rate.limited",
            "too many forms were sent from your network just now: wait a minute and send it again",
        ),
        VisitorAnswer::TurnstileFailed { missing: true } => (
            403,
            code::TURNSTILE_MISSING,
            "complete the anti-bot check, then send the form again",
        ),
        VisitorAnswer::TurnstileFailed { missing: false } => (
            403,
            code::TURNSTILE_FAILED,
            "the anti-bot check did not pass: complete it again, then send the form again",
        ),
        VisitorAnswer::NotConfigured => (
            503,
            code::NOT_CONFIGURED,
            "this form service is not configured yet: the site owner can see why at /health",
        ),
    })
}

pub(crate) fn respond(answer: VisitorAnswer, reply: &Reply) -> worker::Result<Response> {
    let (status, problems) = match (&answer, fixed(&answer)) {
        (_, Some((status, code, message))) => (status, vec![ClientProblem::form(code, message)]),
        (VisitorAnswer::Invalid { status, problems }, None) => (*status, problems.clone()),
        _ => (202, Vec::new()),
    };

    let response = if reply.wants_json {
        let mut body = json::object();
        body.bool(keys::OK, matches!(answer, VisitorAnswer::Accepted { .. }));
        if let VisitorAnswer::Accepted { id, .. } = &answer {
            body.str(keys::ID, id);
        }
        body.raw(keys::ISSUES, &issues(&problems));
        json_response(body.finish(), status)?
    } else {
        match &answer {
            VisitorAnswer::Accepted { redirect, .. } => {
                let response = Response::empty()?.with_status(303);
                response
                    .headers()
                    .set("Location", redirect.as_deref().unwrap_or("/thanks"))?;
                response
            }
            _ => {
                let lines: Vec<pages::Line> = problems
                    .iter()
                    .map(|problem| pages::Line {
                        field: problem.field.as_deref(),
                        message: &problem.message,
                    })
                    .collect();
                let heading = if matches!(answer, VisitorAnswer::Invalid { .. }) {
                    "Please check the form"
                } else {
                    "The form could not be sent"
                };
                Response::from_html(pages::problems(heading, &lines, reply.back))?
                    .with_status(status)
            }
        }
    };

    let headers = response.headers();
    headers.set("Cache-Control", "no-store")?;
    match answer {
        VisitorAnswer::Unavailable | VisitorAnswer::NotConfigured => {
            headers.set("Retry-After", RETRY_AFTER_SECONDS)?
        }
        VisitorAnswer::RateLimited { retry_after } => {
            headers.set("Retry-After", &retry_after.to_string())?
        }
        VisitorAnswer::MethodNotAllowed => headers.set("Allow", "POST, OPTIONS")?,
        _ => {}
    }
    cors::apply(headers, reply.cors_origin);
    Ok(response)
}

/// `[{field, code, message}, ...]`.
pub(crate) fn issues(problems: &[ClientProblem]) -> String {
    json::array(problems.iter().map(|problem| {
        json::object()
            .opt_str(keys::FIELD, problem.field.as_deref())
            .str(keys::CODE, &problem.code)
            .str(keys::MESSAGE, &problem.message)
            .finish()
    }))
}

/// A response of JSON text, as `Response::from_json` makes one (without serde).
pub(crate) fn json_response(body: String, status: u16) -> worker::Result<Response> {
    let response = Response::from_bytes(body.into_bytes())?.with_status(status);
    response.headers().set("Content-Type", "application/json")?;
    Ok(response)
}
