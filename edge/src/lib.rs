//! The closem-forms edge: a Cloudflare Worker that keeps the CLOSEM API key secret, owns each form's
//! profile and forwards validated submissions. This file only wires: read config, route, map errors.

use worker::{event, Context, Env, Request, Response, Result};

mod health;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    match (req.method(), path.as_str()) {
        (worker::Method::Get, "/health") => health::handle_health(&env),
        _ => Response::error("not found", 404),
    }
}
