//! The closem-forms edge: a Cloudflare Worker that keeps the CLOSEM API key secret, owns each form's
//! profile, records validated submissions in a ledger and delivers them to CLOSEM through a queue.
//! This file only wires: read config, route, map errors; and hand queue batches to queue.rs.

mod admin;
mod alert;
mod body;
mod config;
mod cors;
mod forward;
mod health;
mod hex;
mod idempotency;
mod js;
mod json;
mod ledger;
mod log;
mod pages;
mod queue;
mod ratelimit;
mod respond;
mod spam;
mod submit;
mod timezone;
mod turnstile;

pub use ledger::Ledger;

use std::cell::OnceCell;
use std::rc::Rc;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::worker_sys::{self, MessageBatch};
use worker::{event, Context, Env, Method, Request, Response};

use crate::config::{Config, Problem};
use crate::respond::{respond, Reply, VisitorAnswer};
use crate::submit::Incoming;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

thread_local! {
    /// Bindings do not change for the life of an isolate: read and check them once.
    static CONFIG: OnceCell<Rc<std::result::Result<Config, Vec<Problem>>>> = const { OnceCell::new() };
}

fn config(env: &Env) -> Rc<std::result::Result<Config, Vec<Problem>>> {
    CONFIG.with(|cell| {
        Rc::clone(cell.get_or_init(|| {
            let loaded = config::load(env);
            // One line per isolate and outcome; it names bindings and form ids, never values.
            match &loaded {
                Ok(config) => {
                    let sources = &config.form_sources;
                    log::write(
                        log::line("config_loaded")
                            .int("forms_file", sources.file as i64)
                            .int("forms_variable", sources.variable as i64)
                            .raw(
                                "forms_shadowed",
                                &json::strings(sources.shadowed.iter().map(String::as_str)),
                            ),
                    );
                }
                Err(problems) => {
                    let problems = json::array(problems.iter().map(|problem| {
                        json::string(&[&problem.binding, ": ", &problem.message].concat())
                    }));
                    log::write(log::line("config_error").raw("problems", &problems));
                }
            }
            Rc::new(loaded)
        }))
    })
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let config = config(&env);
    let path = req.path();
    if path == "/health" {
        return health::handle_health(&config, &env).await;
    }
    if admin::is_admin_path(&path) {
        if let Ok(config) = config.as_ref() {
            if let Some(response) = admin::handle_admin(&req, &env, config).await {
                return response;
            }
        }
        return respond(VisitorAnswer::NotFound, &plain_reply(true, lang_of(&req)));
    }
    if path == "/thanks" {
        let response = Response::from_html(pages::thanks(lang_of(&req)))?;
        let headers = response.headers();
        headers.set("Cache-Control", "public, max-age=3600")?;
        headers.set("Vary", "Accept-Language")?;
        return Ok(response);
    }
    let Some(form_id) = path
        .strip_prefix("/f/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
    else {
        return respond(
            VisitorAnswer::NotFound,
            &plain_reply(wants_json(&req), lang_of(&req)),
        );
    };
    let incoming = incoming(&req, form_id);
    let Ok(config) = config.as_ref() else {
        return respond(
            VisitorAnswer::NotConfigured,
            &plain_reply(incoming.wants_json, incoming.lang),
        );
    };
    match req.method() {
        Method::Post => {
            let response = submit::handle_submit(req, &env, config, &incoming).await;
            // A spam jump raised while answering is posted after the answer.
            alert::flush(&ctx, &env, config.alerts.as_ref());
            response
        }
        Method::Options => submit::handle_preflight(config, &incoming),
        _ => other_method(config, &incoming),
    }
}

/// What the router learns about a request to `/f/{form id}` before the body is read.
fn incoming<'a>(req: &Request, form_id: &'a str) -> Incoming<'a> {
    Incoming {
        form_id,
        origin: header(req, "Origin"),
        own_origin: origin_of(&req.inner().url()),
        wants_json: wants_json(req),
        back: header(req, "Referer").filter(|referer| {
            referer.len() <= 2048
                && (referer.starts_with("https://") || referer.starts_with("http://"))
        }),
        idempotency_key: header(req, idempotency::KEY_HEADER),
        client_ip: header(req, "CF-Connecting-IP"),
        lang: lang_of(req),
    }
}

/// `/f/{form id}` with a method other than POST and OPTIONS: 405 for a known form, else 404.
fn other_method(config: &Config, incoming: &Incoming<'_>) -> worker::Result<Response> {
    let profile = config.forms.get(incoming.form_id);
    let reply = Reply {
        wants_json: incoming.wants_json,
        cors_origin: cors::echoed_origin(incoming.origin.as_deref(), profile),
        back: None,
        lang: incoming.lang,
    };
    let answer = if profile.is_some() {
        VisitorAnswer::MethodNotAllowed
    } else {
        VisitorAnswer::NotFound
    };
    respond(answer, &reply)
}

/// An answer with no CORS header and no "go back" link.
fn plain_reply(wants_json: bool, lang: closem_shared::Lang) -> Reply<'static> {
    Reply {
        wants_json,
        cors_origin: None,
        back: None,
        lang,
    }
}

/// Deliveries and dead letters. Never fails: that would retry the whole batch; each message is
/// acked or retried on its own. Exported by hand rather than with `#[event(queue)]`, whose
/// `MessageBatch` marks retries through serde_wasm_bindgen (several KB of wasm for one option);
/// the export's name and arguments are the ones that macro gives it.
#[wasm_bindgen(wasm_bindgen_futures = worker::wasm_bindgen_futures)]
pub async fn queue(
    batch: MessageBatch,
    env: Env,
    _ctx: worker_sys::Context,
) -> Result<JsValue, JsValue> {
    let config = config(&env);
    queue::consume(&batch, &env, config.as_ref().as_ref().ok()).await;
    Ok(JsValue::UNDEFINED)
}

/// `scheme://host[:port]` of an absolute URL (the request's own origin, for same-origin posts).
fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |at| after_scheme + at);
    url[..end].to_string()
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The language `Accept-Language` prefers among those the edge speaks (English by default); a
/// widget's post names its own (`_closem_lang`), which `submit.rs` reads from the body.
fn lang_of(req: &Request) -> closem_shared::Lang {
    header(req, "Accept-Language").map_or(closem_shared::Lang::En, |header| {
        closem_shared::Lang::from_accept_language(&header)
    })
}

/// The widget asks for JSON; a browser's native form post asks for HTML.
fn wants_json(req: &Request) -> bool {
    header(req, "Accept").is_some_and(|accept| accept.contains("application/json"))
}
