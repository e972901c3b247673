//! The download budget: everything the script tag loads, `closem.js` and `closem_bg.wasm`, within
//! the ceilings below (brotli -11; issue 12 set 15 KB, issue 13's features went past it). Brotli is not at hand from Rust without a new
//! dependency, so this checks raw sizes against ceilings derived from the ratio last measured
//! (raw / brotli: 2.77 for the minified script, 2.23 for the wasm; 13,119 + 21,629 raw bytes
//! were 4,737 + 9,695 brotli, 14,432 in all, once shared/ parsed byte-wise without panic residue
//! and the widget checked values with `check_visitor_value`).
//! It reads the built `widget/pkg/` and fails when there is none: `cargo xtask test` builds it
//! first, a bare `cargo test` needs `cargo xtask build-widget`. Native only: it reads files.
//! It also fails when the wasm holds the panic messages of `str` slicing, `char` splitting or
//! indexing again, the residue issue 12 removed from shared/'s parsers.

#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

/// Issue 12's budget was 15 KB brotli (about 36,100 raw bytes: 14,000 script + 22,500 wasm), met at
/// 14,448 B. Issue 13 (international phones, five languages with per-form overrides, attribution,
/// the dataLayer event) brought it to 16,408 B brotli (14,815 + 24,530 raw): **over issue 12's
/// budget, within design.md's hard limit of 20 KB**. These ceilings hold today's size with about
/// 2% to spare, so further growth fails here while the cut back to 15 KB is open (ARCHITECTURE.md,
/// "Budgets").
const TOTAL_RAW: u64 = 40_200;
/// Each file's share, so growth in either one is noticed on its own: about 5.4 KB brotli for the
/// script, 11.3 KB for the wasm.
const SCRIPT_RAW: u64 = 15_100;
const WASM_RAW: u64 = 25_100;

/// Messages `core` formats when a `str` slice, a `char` search or an index fails, and the source
/// paths its panic locations name; any of them drags `core::fmt` (number formatting, padding, the
/// Unicode printable tables) along.
const PANIC_RESIDUE: &[&str] = &[
    "is not a char boundary",
    "is out of bounds of",
    "index out of bounds",
    "out of range for slice",
    "library/core/src/str/",
    "library/core/src/slice/",
    "library/core/src/unicode/",
];

/// A file of the built widget, failing the test (not skipping it) when there is none.
fn built(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pkg").join(name);
    fs::read(&path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}; run `cargo xtask build-widget` first (`cargo xtask test` does)",
            path.display()
        )
    })
}

#[test]
fn built_widget_stays_within_the_download_budget() {
    let script = built("closem.js").len() as u64;
    let wasm = built("closem_bg.wasm").len() as u64;
    assert!(
        script <= SCRIPT_RAW,
        "closem.js is {script} bytes, over {SCRIPT_RAW}"
    );
    assert!(
        wasm <= WASM_RAW,
        "closem_bg.wasm is {wasm} bytes, over {WASM_RAW}"
    );
    assert!(
        script + wasm <= TOTAL_RAW,
        "closem.js + closem_bg.wasm are {} bytes, over {TOTAL_RAW} (about 15 KB brotli)",
        script + wasm
    );
}

#[test]
fn built_wasm_has_no_slicing_panic_residue_issue_12() {
    let wasm = built("closem_bg.wasm");
    for residue in PANIC_RESIDUE {
        let found = wasm
            .windows(residue.len())
            .any(|window| window == residue.as_bytes());
        assert!(
            !found,
            "closem_bg.wasm holds `{residue}`: something the widget runs slices a str, splits at \
             a char or indexes again (ARCHITECTURE.md, issue 12)"
        );
    }
}
