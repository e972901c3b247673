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
        ("LANG_FIELD", wire::LANG_FIELD),
        ("FIRST_TOUCH_FIELD", wire::FIRST_TOUCH_FIELD),
        ("LAST_TOUCH_FIELD", wire::LAST_TOUCH_FIELD),
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
        wire::LANG_FIELD,
        wire::FIRST_TOUCH_FIELD,
        wire::LAST_TOUCH_FIELD,
    ]
    .len();
    assert_eq!(
        literals, declared,
        "dom.js spells a reserved `_closem` name that closem_shared::wire does not declare"
    );
}

/// `dom.js` chooses among exactly the languages `closem_shared::Lang` speaks (issue 13), and
/// records exactly the campaign parameters the edge reads.
#[test]
fn dom_js_lists_the_shared_languages_and_campaign_parameters() {
    let langs: Vec<String> = closem_shared::Lang::ALL
        .iter()
        .map(|lang| format!("{:?}", lang.code()))
        .collect();
    let declaration = format!("const LANGS = [{}];", langs.join(", "));
    assert!(
        DOM_JS.contains(&declaration),
        "dom.js must declare `{declaration}`"
    );
    let parameters: Vec<String> = closem_shared::attribution::PARAMETERS
        .iter()
        .map(|name| format!("{name:?}"))
        .collect();
    let declaration = format!("const CAMPAIGN = [{}];", parameters.join(", "));
    assert!(
        DOM_JS.contains(&declaration),
        "dom.js must declare `{declaration}`"
    );
}

/// `dom.js` reads the edge's answer by the keys `closem_shared::wire::answer` names: the body's
/// `ok`, `id` and `issues`, and each issue's `field`, `code` and `message`.
#[test]
fn dom_js_reads_the_answer_by_the_shared_keys() {
    use wire::answer;
    for key in [answer::OK, answer::ID, answer::ISSUES] {
        let read = format!("body.{key}");
        assert!(DOM_JS.contains(&read), "dom.js must read `{read}`");
    }
    for key in [answer::FIELD, answer::CODE, answer::MESSAGE] {
        let read = format!("string(item, {key:?})");
        assert!(DOM_JS.contains(&read), "dom.js must read `{read}`");
    }
}
