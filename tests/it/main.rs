//! Integration tests: one binary, a module per area.

mod edge_health;
mod sandbox;
