//! The closem-forms widget: turns every `form[data-closem]` on a page into a CLOSEM lead capture
//! with the shared validation rules, accessible inline errors, and submission by fetch to the edge,
//! kept in a `localStorage` outbox under its idempotency key until the edge answers for good.
//! `dom.js` does the page's work from the moment the script runs; this crate is the rules it asks
//! (`rules.rs`, `validate.rs`), handed over when the loader bundled into `closem.js` calls
//! [`boot`]. Until then a submit waits; should the module never start, forms post natively.
//!
//! Without the default `std` feature (the shipped build) the crate is `no_std`: std's panic and
//! formatting machinery and dlmalloc were most of the download.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod dom;
mod rules;
mod validate;

use wasm_bindgen::prelude::wasm_bindgen;

/// Enhances the page's forms now and as they are added, posting to `{endpoint}/f/{form id}`.
#[wasm_bindgen]
pub fn boot(endpoint: &str) {
    dom::install(endpoint);
}

/// How many forms hold live state (listeners); for tests that forms leaving the page release it.
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
