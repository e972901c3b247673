//! The CLOSEM sandbox: a local HTTP emulator of the documented CLOSEM API (reference rev 1.22)
//! that records what it receives and can be ordered to fail.
//!
//! It implements the reference straight from the docs, independently of `closem-shared`, so that
//! tests of the edge cross-check our reading of the docs rather than repeat it.
//!
//! - `POST /?m=api&auth=KEY`: the API, multipart or urlencoded; 200 `{"status":"success","id",
//!   "mode"}`, or `{"status":"error","errors":[..]}` with 400, 401, 403, 413, 415 or 422.
//! - `GET|DELETE /_sandbox/requests` (`?accepted=1`), `GET|POST|DELETE /_sandbox/faults`,
//!   `GET /_sandbox/` (HTML inbox), `GET /_sandbox/health`.
//! - `POST /turnstile/siteverify`, `GET /turnstile/requests`: a stand-in for Cloudflare Turnstile's
//!   token check (turnstile.rs), so the edge's Turnstile path runs without the internet.
//! - `POST /webhook/{name}`, `GET /webhook/requests`: a stand-in for Slack's and Discord's incoming
//!   webhooks (webhook.rs), which captures the edge's alerts.

mod calendar;
mod handle;
mod inbox;
mod rules;
mod server;
mod store;
mod turnstile;
mod webhook;

pub use handle::{spawn, spawn_on, SandboxHandle};
pub use server::{router, serve, BODY_LIMIT};
pub use store::{Arrival, Faults, RecordedRequest};
pub use turnstile::{ALWAYS_FAILS, ALWAYS_PASSES, ALWAYS_SPENT, UNAVAILABLE_TOKEN};
pub use webhook::{FAILING_WEBHOOK, SLOW_WEBHOOK};
