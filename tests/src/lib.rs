//! Test support for closem-forms: the CLOSEM sandbox (an emulator of the documented API) and harnesses
//! that start real processes (workerd through wrangler) and kill them when the tests are done.

pub mod child;
mod embed;
pub mod http;
pub mod sandbox;
pub mod site;
pub mod webdriver;
pub mod workerd;
