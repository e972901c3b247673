//! The widget's decisions, asked by `dom.js`: which CLOSEM field a control feeds, whether its
//! value passes the shared rules (and which message says why not), what an answer of the edge
//! means for its submission, and the English of the widget's form-level messages. `dom.js` does
//! the page's work (listeners, messages on their controls, the outbox) and asks here through one
//! function, [`answer`], whose request and answer are lines of text: one string each way is the
//! cheapest thing to carry across the wasm boundary, where each DOM binding cost glue on both
//! sides and most of the download.
//!
//! Requests (the question, then its facts, one per line; attributes the control lacks are ""):
//! - `field`, hint, name, autocomplete, type: the canonical CLOSEM field name, "" when none;
//! - `check`, now (UNIX seconds), flags, the form's `data-closem-phone`, hint, name,
//!   autocomplete, type, value: `-` when the control is not the widget's to check, "" when it
//!   passes, else `index`, `english`, `code` (index -1 and no English for a site constraint, which
//!   the browser's own message describes). Flags are letters: `d`isabled, `r`equired, `m`issing
//!   (the browser's `valueMissing`), `i`nvalid (the browser's other constraints), `l`eaving (the
//!   visitor is leaving a control that shows no message yet);
//! - `disposition`, status (0 when no answer came), ok (`1` or `0`), then each issue's code: a
//!   `closem_shared::wire::Disposition` name;
//! - `phrase`, code: `index` and `english` of a form-level message, "" for an unknown code.
//!
//! `index` is the message's place in the on-demand catalogues (`closem_shared::Text::index`), by
//! which `dom.js` finds it in the form's language; the value comes last, so a textarea's newlines
//! stay in it.

use alloc::string::String;
use closem_shared::i18n::en;
use closem_shared::wire::{code, Disposition};
use closem_shared::Text;

use crate::validate::{self, Control, Verdict};

/// The widget's form-level messages, by the codes a site overrides them with
/// (`data-closem-message-form.check`); `network` and `network.queued` are the wire's.
const PHRASES: [(&str, Text); 6] = [
    ("form.check", Text::CheckFields),
    ("form.sending", Text::Sending),
    ("form.failed", Text::Failed),
    ("form.success", Text::Success),
    (code::NETWORK, Text::Network),
    (code::QUEUED, Text::Queued),
];

/// The answer to one request of `dom.js` (see the module's documentation).
pub(crate) fn answer(request: &str) -> String {
    let mut lines = Lines(Some(request));
    let mut out = String::new();
    match lines.next_line() {
        "field" => {
            let control = Control {
                hint: lines.next_line(),
                name: lines.next_line(),
                autocomplete: lines.next_line(),
                kind: lines.next_line(),
                ..Control::default()
            };
            if let Some(field) = validate::field_of(&control) {
                out.push_str(field.canonical());
            }
        }
        "check" => {
            let now = number(lines.next_line());
            let flags = lines.next_line().as_bytes();
            let control = Control {
                phone: lines.next_line(),
                hint: lines.next_line(),
                name: lines.next_line(),
                autocomplete: lines.next_line(),
                kind: lines.next_line(),
                value: lines.rest(),
                disabled: flag(flags, b'd'),
                required: flag(flags, b'r'),
                missing: flag(flags, b'm'),
                invalid: flag(flags, b'i'),
                leaving: flag(flags, b'l'),
            };
            match validate::check(&control, now) {
                Verdict::Unchecked => out.push('-'),
                Verdict::Fine => {}
                Verdict::Problem { code, text } => {
                    phrase(&mut out, text);
                    out.push('\n');
                    out.push_str(&code);
                }
            }
        }
        "disposition" => {
            let status = number(lines.next_line()).clamp(0, 999) as u16;
            let ok = lines.next_line() == "1";
            out.push_str(Disposition::of(status, ok, lines).as_str());
        }
        "phrase" => {
            let wanted = lines.next_line();
            if let Some((_, text)) = PHRASES.iter().find(|(code, _)| *code == wanted) {
                phrase(&mut out, Some(*text));
            }
        }
        _ => {}
    }
    out
}

/// A request's lines, split byte-wise: `str::split` carries the slicing panics (and their
/// messages) that the shipped wasm is kept free of (`widget/tests/size.rs`).
struct Lines<'a>(Option<&'a str>);

impl<'a> Lines<'a> {
    /// The next line, "" once there is none.
    fn next_line(&mut self) -> &'a str {
        self.next().unwrap_or_default()
    }

    /// Everything left, newlines included (a textarea's value).
    fn rest(&mut self) -> &'a str {
        self.0.take().unwrap_or_default()
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.0?;
        match rest.bytes().position(|byte| byte == b'\n') {
            Some(end) => {
                self.0 = rest.get(end + 1..);
                rest.get(..end)
            }
            None => self.0.take(),
        }
    }
}

/// `index`, a newline and the English of `text`; `-1` and nothing for none.
fn phrase(out: &mut String, text: Option<Text>) {
    match text {
        Some(text) => {
            let index = text.index();
            if index >= 10 {
                out.push(char::from(b'0' + (index / 10) as u8));
            }
            out.push(char::from(b'0' + (index % 10) as u8));
            out.push('\n');
            out.push_str(en::widget_text(text).unwrap_or_default());
        }
        None => out.push_str("-1\n"),
    }
}

/// A letter of a request's flags (`contains` on a slice brings `memchr`, bytes the widget need
/// not ship).
#[allow(clippy::manual_contains)] // `contains` is the memchr this avoids.
fn flag(flags: &[u8], letter: u8) -> bool {
    flags.iter().any(|&given| given == letter)
}

/// The whole number a request line holds (its digits; 0 for none), without `str::parse`, whose
/// error path is bytes the widget need not ship.
fn number(line: &str) -> i64 {
    line.bytes()
        .filter(u8::is_ascii_digit)
        .fold(0i64, |number, digit| {
            number
                .saturating_mul(10)
                .saturating_add(i64::from(digit - b'0'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOM_JS: &str = include_str!("dom.js");

    #[test]
    fn field_names_the_canonical_closem_field() {
        assert_eq!(answer("field\n\nyour-email\n\nemail"), "email");
        assert_eq!(answer("field\nfullname\nyour-name\n\ntext"), "fullname");
        assert_eq!(answer("field\n\ncompany\n\ntext"), "");
        assert_eq!(answer("field\ncontact_phones\n\n\n"), "contact_phones");
    }

    #[test]
    fn check_answers_with_index_english_and_code() {
        let expected = format!(
            "{}\n{}\nemail.format",
            Text::EmailFormat.index(),
            en::text(Text::EmailFormat)
        );
        assert_eq!(
            answer("check\n1900000000\n\n\n\nemail\n\nemail\nada-at-example"),
            expected
        );
        assert_eq!(
            answer("check\n1900000000\n\n\n\nemail\n\nemail\nada@example.com"),
            ""
        );
        assert_eq!(answer("check\n0\nd\n\n\nemail\n\nemail\nx"), "-");
        assert_eq!(
            answer("check\n0\ni\n\n\ncompany\n\ntext\nx"),
            "-1\n\ncompany.format"
        );
    }

    #[test]
    fn check_keeps_the_newlines_of_a_textarea() {
        let long = "a\n".repeat(1001);
        let request = format!("check\n0\n\n\n\nnotes\n\ntextarea\n{long}");
        assert!(
            answer(&request).ends_with("notes.too_long"),
            "{}",
            answer(&request)
        );
    }

    #[test]
    fn check_reads_appointment_times_against_now() {
        let past = answer("check\n1900000000\n\n\n\nappointment_timestamp\n\ntext\n1800000000");
        assert!(past.ends_with("appointment_timestamp.past"), "{past}");
        let future = answer("check\n1700000000\n\n\n\nappointment_timestamp\n\ntext\n1800000000");
        assert_eq!(future, "");
    }

    #[test]
    fn disposition_follows_the_wire_contract() {
        assert_eq!(answer("disposition\n202\n1"), "accepted");
        assert_eq!(answer("disposition\n422\n0\nemail.format"), "fix");
        assert_eq!(
            answer("disposition\n403\n0\nedge.x\nturnstile.failed"),
            "rechallenge"
        );
        assert_eq!(answer("disposition\n0\n0"), "retry");
        assert_eq!(answer("disposition\n404\n0"), "refused");
    }

    #[test]
    fn every_phrase_is_the_english_of_its_text() {
        for (code, text) in PHRASES {
            let expected = format!("{}\n{}", text.index(), en::text(text));
            assert_eq!(answer(&format!("phrase\n{code}")), expected);
        }
        assert_eq!(answer("phrase\nform.unknown"), "");
    }

    /// `dom.js` asks with the codes and reads the dispositions spelled here.
    #[test]
    fn dom_js_spells_every_phrase_code_and_disposition() {
        for (code, _) in PHRASES {
            assert!(
                DOM_JS.contains(&format!("{code:?}")),
                "dom.js lacks {code:?}"
            );
        }
        // `fix` and `refused` both show the answer's problems: `dom.js` names neither.
        for disposition in Disposition::ALL {
            let name = format!("{:?}", disposition.as_str());
            let acted_on = !matches!(disposition, Disposition::Fix | Disposition::Refused);
            assert_eq!(DOM_JS.contains(&name), acted_on, "dom.js and {name}");
        }
    }

    #[test]
    fn english_messages_hold_no_newline() {
        for text in Text::ALL {
            assert!(!en::text(text).contains('\n'), "{text:?}");
        }
    }
}
