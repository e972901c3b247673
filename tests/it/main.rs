//! Integration tests: one binary, a module per area.

mod e2e;
mod e2e_outbox;
mod e2e_sites;
mod edge_abuse;
mod edge_assets;
mod edge_config;
mod edge_control;
mod edge_cors;
mod edge_durable;
mod edge_fields;
mod edge_health;
mod edge_input;
mod edge_intl;
mod edge_ledger;
mod edge_limits;
mod edge_malformed;
mod edge_modes;
mod edge_native;
mod edge_reference;
mod edge_secrets;
mod edge_soak;
mod edge_support;
mod edge_upstream;
mod leaks;
mod sandbox;
