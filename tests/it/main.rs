//! Integration tests: one binary, a module per area (ripgrep's `tests/tests.rs` habit); each
//! module's first line says what it covers, and so does the line above it here.

// The demo site in Chromium, as a visitor and a site owner meet the product.
mod e2e;
// The operators' dashboard in Chromium against the demo worker.
mod e2e_dashboard;
// The widget's outbox in Chromium: kept, retried, sent once.
mod e2e_outbox;
// The widget in real form builders' markup on a customer's own origin.
mod e2e_sites;
// Honeypot, fill time, rate limit and Turnstile through workerd.
mod edge_abuse;
// Alerts to a webhook: dead letters, a refused key, spam jumps, throttled.
mod edge_alerts;
// The widget's files as the worker serves them (types, CORS, immutable versions).
mod edge_assets;
// The worker's bindings: good ones work, wrong ones are named.
mod edge_config;
// Control fields come only from the profile.
mod edge_control;
// CORS: only the profile's origins, each echoed alone.
mod edge_cors;
// Durable delivery: idempotency keys, resubmissions, exactly once as CLOSEM sees it.
mod edge_durable;
// Visitor field names: aliases, the profile's mapping, hints.
mod edge_fields;
// `GET /health`.
mod edge_health;
// Bad input of every kind: a 4xx listing every problem.
mod edge_input;
// Languages and international phones: the visitor's words, the profile's phone rule.
mod edge_intl;
// The sharded ledger: one durable write, the alarm, resharding.
mod edge_ledger;
// Body size limits, with and without `Content-Length`.
mod edge_limits;
// The corpus of malformed requests.
mod edge_malformed;
// Each CLOSEM mode end to end, into the sandbox.
mod edge_modes;
// Native (no-JavaScript) posts: 303 or an HTML page of problems.
mod edge_native;
// The reference's own curl examples aimed at the edge.
mod edge_reference;
// The API key never leaves the worker.
mod edge_secrets;
// Fault injection under load, with a hard kill of workerd.
mod edge_soak;
// Not tests: the sandbox and workerd every edge module shares, and their helpers.
mod edge_support;
// What becomes of a submission when CLOSEM misbehaves (the failure policy).
mod edge_upstream;
// Nothing a test binary starts outlives it.
mod leaks;
// The CLOSEM sandbox itself.
mod sandbox;
