//! `POST /f/{form id}` and `OPTIONS /f/{form id}`: read the body, let the form's profile turn it
//! into a CLOSEM submission (or every problem with it), forward, and answer.

use closem_shared::{Context, Issue, Profile, Submission};
use worker::{Request, Response};

use crate::body::{self, BodyError, LIMITS};
use crate::config::Config;
use crate::cors;
use crate::forward::{self, Delivery};
use crate::log;
use crate::respond::{respond, Answer, Problem, Reply};

/// What the router learnt about the request before the body is read.
pub struct Incoming<'a> {
    pub form_id: &'a str,
    pub origin: Option<String>,
    pub own_origin: String,
    pub wants_json: bool,
    pub back: Option<String>,
}

pub async fn handle_submit(
    mut req: Request,
    config: &Config,
    incoming: &Incoming<'_>,
) -> worker::Result<Response> {
    let profile = config.forms.get(incoming.form_id);
    let allowed: &[String] = profile.map_or(&[], Profile::allowed_origins);
    let reply = Reply {
        wants_json: incoming.wants_json,
        cors_origin: cors::echoed_origin(incoming.origin.as_deref(), allowed),
        back: incoming.back.as_deref(),
    };
    let Some(profile) = profile else {
        return respond(Answer::NotFound, &reply);
    };
    if !cors::origin_permitted(incoming.origin.as_deref(), &incoming.own_origin, allowed) {
        log::event(
            serde_json::json!({"event": "submit", "form": incoming.form_id, "outcome": "origin_forbidden"}),
        );
        return respond(Answer::OriginForbidden, &reply);
    }

    let started = js_sys::Date::now();
    let pairs = match read_fields(&mut req).await {
        Ok(pairs) => pairs,
        Err(error) => {
            log::event(
                serde_json::json!({"event": "submit", "form": incoming.form_id, "outcome": "bad_body", "code": error.code()}),
            );
            return respond(
                Answer::Invalid {
                    status: error.status(),
                    problems: vec![Problem {
                        field: error.field().map(str::to_string),
                        code: error.code().to_string(),
                        message: error.message(),
                    }],
                },
                &reply,
            );
        }
    };

    let id = submission_id();
    if is_honeypot_filled(profile, &pairs) {
        // Bots get an ordinary success so they learn nothing; the lead is not forwarded.
        log::event(
            serde_json::json!({"event": "submit", "form": incoming.form_id, "outcome": "spam", "id": id}),
        );
        return respond(
            Answer::Accepted {
                id,
                redirect: profile.redirect().map(str::to_string),
            },
            &reply,
        );
    }

    let resolve = |local| config.zone.resolve(local);
    let context = Context {
        now: (js_sys::Date::now() / 1000.0) as i64,
        resolve_local: &resolve,
    };
    let accepted = match profile.accept(&pairs, &context) {
        Ok(accepted) => accepted,
        Err(issues) => {
            log::event(serde_json::json!({
                "event": "submit", "form": incoming.form_id, "outcome": "invalid",
                "codes": issues.iter().map(Issue::code).collect::<Vec<_>>(),
            }));
            return respond(
                Answer::Invalid {
                    status: 422,
                    problems: issues.iter().map(problem).collect(),
                },
                &reply,
            );
        }
    };

    let fields = accepted.submission.encode();
    let delivery = forward::forward(config, &fields).await;
    let (email, phone) = contact_of(&accepted.submission);
    log::event(serde_json::json!({
        "event": "submit",
        "form": incoming.form_id,
        "id": id,
        "mode": accepted.submission.mode().as_str(),
        "outcome": delivery_name(delivery),
        "upstream_status": upstream_status(delivery),
        "email": email.map(log::fingerprint),
        "phone": phone.map(log::fingerprint),
        "ignored": accepted.ignored.len(),
        "ms": (js_sys::Date::now() - started).round(),
    }));
    let answer = match delivery {
        Delivery::Delivered { .. } => Answer::Accepted {
            id,
            redirect: profile.redirect().map(str::to_string),
        },
        Delivery::Refused { .. } => Answer::Refused,
        Delivery::Unavailable { .. } => Answer::Unavailable,
    };
    respond(answer, &reply)
}

pub fn handle_preflight(config: &Config, incoming: &Incoming<'_>) -> worker::Result<Response> {
    match config.forms.get(incoming.form_id) {
        Some(profile) => cors::preflight(incoming.origin.as_deref(), profile.allowed_origins()),
        None => respond(
            Answer::NotFound,
            &Reply {
                wants_json: incoming.wants_json,
                cors_origin: None,
                back: None,
            },
        ),
    }
}

async fn read_fields(req: &mut Request) -> Result<Vec<(String, String)>, BodyError> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|length| length.trim().parse::<u64>().ok());
    // Refuse a declared oversize body before reading any of it.
    if declared.is_some_and(|length| length > LIMITS.body_bytes as u64) {
        return Err(BodyError::TooLarge);
    }
    let content_type = req.headers().get("Content-Type").ok().flatten();
    let bytes = req
        .bytes()
        .await
        .map_err(|_| BodyError::BrokenMultipart("the body could not be read"))?;
    body::parse(content_type.as_deref(), &bytes)
}

fn problem(issue: &Issue) -> Problem {
    Problem {
        field: Some(issue.field.clone()),
        code: issue.code(),
        message: issue.message().to_string(),
    }
}

fn is_honeypot_filled(profile: &Profile, pairs: &[(String, String)]) -> bool {
    let Some(honeypot) = profile.spam().honeypot.as_deref() else {
        return false;
    };
    pairs
        .iter()
        .any(|(name, value)| name == honeypot && !value.trim().is_empty())
}

/// The visitor's own email and phone, for fingerprints in the log.
fn contact_of(submission: &Submission) -> (Option<&str>, Option<&str>) {
    match submission {
        Submission::AddContact(add) => (
            add.contact.email.as_ref().map(|email| email.as_str()),
            add.contact.phone.as_ref().map(|phone| phone.as_str()),
        ),
        Submission::RunSequence(run) => (
            run.targets
                .contact_emails
                .first()
                .map(|email| email.as_str()),
            run.targets
                .contact_phones
                .first()
                .map(|phone| phone.as_str()),
        ),
        Submission::ScheduleAppointment(appointment) => (
            appointment
                .targets
                .contact_emails
                .first()
                .map(|email| email.as_str()),
            appointment
                .targets
                .contact_phones
                .first()
                .map(|phone| phone.as_str()),
        ),
    }
}

fn delivery_name(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::Delivered { .. } => "delivered",
        Delivery::Refused { .. } => "refused",
        Delivery::Unavailable { cause } => cause.as_str(),
    }
}

fn upstream_status(delivery: Delivery) -> Option<u16> {
    match delivery {
        Delivery::Delivered { status } | Delivery::Refused { status } => Some(status),
        Delivery::Unavailable {
            cause: forward::Unavailable::Status(status),
        } => Some(status),
        Delivery::Unavailable { .. } => None,
    }
}

/// A random id the visitor and the logs share: `crypto.randomUUID()`, which both runtimes have.
fn submission_id() -> String {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok();
    crypto
        .and_then(|crypto| {
            let function = js_sys::Reflect::get(&crypto, &"randomUUID".into()).ok()?;
            let function: &js_sys::Function = wasm_bindgen::JsCast::dyn_ref(&function)?;
            function.call0(&crypto).ok()?.as_string()
        })
        .unwrap_or_else(|| format!("s{}", js_sys::Date::now() as u64))
}
