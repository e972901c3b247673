//! The closem-forms widget: turns every `form[data-closem]` on a page into a CLOSEM lead capture
//! with the shared validation rules, accessible inline errors, and submission by fetch to the edge,
//! kept in a `localStorage` outbox under its idempotency key until the edge answers for good.
//! `dom.js` does the page's work from the moment the script runs; this crate is the rules it asks
//! (`rules.rs`, `validate.rs`), handed over as the export [`ask`] when the loader bundled into
//! `closem.js` has compiled the module. Until then a submit waits; should the module never start,
//! forms post natively.
//!
//! Without the default `std` feature (the shipped build) the crate is `no_std`: std's panic and
//! formatting machinery and dlmalloc were most of the download.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "std")]
mod dom;
mod rules;
mod validate;

use alloc::string::String;
use wasm_bindgen::prelude::wasm_bindgen;

/// The widget's rules: `dom.js` asks them everything it decides (see `rules.rs`). The loader
/// bundled into `closem.js` hands this export to `dom.js` (`ready`) once the module is compiled:
/// a plain export, so the shipped module carries no closure machinery.
#[wasm_bindgen]
pub fn ask(request: &str) -> String {
    rules::answer(request)
}

/// What the loader does, for tests, which run the crate without it: hands `dom.js` the rules and
/// the endpoint (`{endpoint}/f/{form id}` is where forms post). Safe to call again, which only
/// changes the endpoint.
#[cfg(feature = "std")]
pub fn boot(endpoint: &str) {
    dom::install(endpoint);
}

/// How many forms hold live state (listeners); for tests that forms leaving the page release it.
#[cfg(feature = "std")]
#[doc(hidden)]
pub fn live_forms() -> usize {
    dom::enhanced_forms()
}

/// The shipped build never panics on input; should a bug panic anyway, trap without formatting a
/// message nobody reads (std's handler drags in `core::fmt` for it).
#[cfg(all(not(feature = "std"), target_arch = "wasm32"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(not(feature = "std"), target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
