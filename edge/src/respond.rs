//! The one place where outcomes become HTTP responses: JSON for clients that ask for it (the
//! widget), a 303 or an HTML page for native form posts.

use closem_shared::wire::{answer as keys, code};
use closem_shared::{Lang, Text};
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
    /// The visitor's language: the widget's `_closem_lang`, else `Accept-Language`.
    pub lang: Lang,
}

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECONDS: &str = "30";

/// The status of a fixed answer and its one form-level problem (`None` for `Accepted` and
/// `Invalid`, whose problems are their own).
fn fixed(answer: &VisitorAnswer) -> Option<(u16, &'static str, Text)> {
    Some(match answer {
        VisitorAnswer::Accepted { .. } | VisitorAnswer::Invalid { .. } => return None,
        VisitorAnswer::Unavailable => (503, code::UNAVAILABLE, Text::Unavailable),
        VisitorAnswer::NotFound => (404, "form.unknown", Text::FormUnknown),
        VisitorAnswer::MethodNotAllowed => (405, "method.not_allowed", Text::MethodNotAllowed),
        VisitorAnswer::OriginForbidden => (403, "origin.forbidden", Text::OriginForbidden),
        VisitorAnswer::RateLimited { .. } => (429, "rate.limited", Text::RateLimited),
        VisitorAnswer::TurnstileFailed { missing: true } => {
            (403, code::TURNSTILE_MISSING, Text::TurnstileMissing)
        }
        VisitorAnswer::TurnstileFailed { missing: false } => {
            (403, code::TURNSTILE_FAILED, Text::TurnstileFailed)
        }
        VisitorAnswer::NotConfigured => (503, code::NOT_CONFIGURED, Text::NotConfigured),
    })
}

pub(crate) fn respond(answer: VisitorAnswer, reply: &Reply) -> worker::Result<Response> {
    let (status, problems) = match (&answer, fixed(&answer)) {
        (_, Some((status, code, text))) => (
            status,
            vec![ClientProblem::form(code, reply.lang.text(text))],
        ),
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
            _ => problems_page(&answer, &problems, status, reply)?,
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

/// A native post's page listing every problem, with a way back.
fn problems_page(
    answer: &VisitorAnswer,
    problems: &[ClientProblem],
    status: u16,
    reply: &Reply,
) -> worker::Result<Response> {
    let lines: Vec<pages::Line> = problems
        .iter()
        .map(|problem| pages::Line {
            field: problem.field.as_deref(),
            message: &problem.message,
        })
        .collect();
    let heading = if matches!(answer, VisitorAnswer::Invalid { .. }) {
        Text::PageInvalid
    } else {
        Text::PageFailed
    };
    Ok(
        Response::from_html(pages::problems(heading, &lines, reply.back, reply.lang))?
            .with_status(status),
    )
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
