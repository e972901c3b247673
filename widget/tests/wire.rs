//! `dom.js` spells the widget-to-edge wire names exactly as `closem_shared::wire` does, and nowhere
//! else in the file: the edge reads them through those constants, so a typo on either side would
//! silently drop the idempotency key, the fill time or the field hints (issue 12). Native only.

#![cfg(not(target_arch = "wasm32"))]

use closem_shared::wire;

const DOM_JS: &str = include_str!("../src/dom.js");

#[test]
fn dom_js_spells_every_wire_name_as_shared_does() {
    for (name, value) in [
        ("KEY_FIELD", wire::KEY_FIELD),
        ("FILL_TIME_FIELD", wire::FILL_TIME_FIELD),
        ("KEY_HEADER", wire::KEY_HEADER),
        ("HINT_PREFIX", wire::HINT_PREFIX),
        ("AUTOCOMPLETE_PREFIX", wire::AUTOCOMPLETE_PREFIX),
    ] {
        let declaration = format!("const {name} = {value:?};");
        assert!(
            DOM_JS.contains(&declaration),
            "dom.js must declare `{declaration}` (closem_shared::wire::{name})"
        );
        let quoted = format!("{value:?}");
        assert_eq!(
            DOM_JS.matches(&quoted).count(),
            1,
            "dom.js spells {quoted} outside its constant {name}: use the constant"
        );
    }
}

#[test]
fn no_other_reserved_name_is_spelled_in_dom_js() {
    // Any `"_closem…"` literal in dom.js is one of the declared constants above.
    let literals = DOM_JS.match_indices("\"_closem").count();
    let declared = [
        wire::KEY_FIELD,
        wire::FILL_TIME_FIELD,
        wire::HINT_PREFIX,
        wire::AUTOCOMPLETE_PREFIX,
    ]
    .len();
    assert_eq!(
        literals, declared,
        "dom.js spells a reserved `_closem` name that closem_shared::wire does not declare"
    );
}
