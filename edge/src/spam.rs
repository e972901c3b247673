//! Bot traps that need no outside service: the profile's honeypot input and its minimum fill time.
//! A trapped submission gets an ordinary-looking success (so a bot learns nothing), is neither
//! recorded nor forwarded, and is counted in the ledger for operators.
//!
//! The fill time comes from the widget: `_closem_t` is the milliseconds between the form being
//! enhanced and being sent, measured by the browser's own clock (so a visitor's wrong clock does not
//! matter). Native posts without JavaScript carry none and are not judged by fill time.

use closem_shared::Spam;

/// The widget's fill-time field. Like every `_closem` name it is never forwarded.
pub(crate) const FILL_TIME_FIELD: &str = closem_shared::wire::FILL_TIME_FIELD;

/// Why a submission was taken for a bot's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trap {
    /// The honeypot input, which people leave empty, had a value.
    Honeypot,
    /// The form was sent sooner after it was shown than the profile's `min_fill_ms`.
    FillTime,
    /// The Turnstile token was missing or did not verify (counted with the traps; answered 403).
    Turnstile,
}

impl Trap {
    /// The counter's name in the ledger and in logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Trap::Honeypot => "honeypot",
            Trap::FillTime => "fill_time",
            Trap::Turnstile => "turnstile",
        }
    }

    pub(crate) const ALL: [Trap; 3] = [Trap::Honeypot, Trap::FillTime, Trap::Turnstile];

    pub(crate) fn parse(text: &str) -> Option<Trap> {
        Trap::ALL.into_iter().find(|trap| trap.as_str() == text)
    }
}

/// Judges the visitor's fields (`pairs`, without `_closem_t`) and the fill time the widget sent.
pub(crate) fn trapped(
    spam: &Spam,
    pairs: &[(String, String)],
    fill_time: Option<&str>,
) -> Option<Trap> {
    let honeypot_filled = spam.honeypot.as_deref().is_some_and(|honeypot| {
        pairs
            .iter()
            .any(|(name, value)| name == honeypot && !value.trim().is_empty())
    });
    if honeypot_filled {
        return Some(Trap::Honeypot);
    }
    let minimum = spam.min_fill_ms?;
    let elapsed = fill_time.and_then(fill_ms)?;
    (elapsed < minimum).then_some(Trap::FillTime)
}

/// A fill time in whole milliseconds. Anything else (a sign, a fraction, text, absurd length) is
/// not judged: a garbled value is no proof of a bot, and a lost lead would cost more than a spam.
pub(crate) fn fill_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 15 || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use closem_shared::Spam;

    use super::{fill_ms, trapped, Trap};

    fn spam(honeypot: Option<&str>, min_fill_ms: Option<u64>) -> Spam {
        Spam {
            honeypot: honeypot.map(str::to_string),
            min_fill_ms,
            ..Spam::default()
        }
    }

    fn check(spam: &Spam, pairs: &[(&str, &str)], fill_time: Option<&str>, expected: Option<Trap>) {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        assert_eq!(
            trapped(spam, &pairs, fill_time),
            expected,
            "{pairs:?} {fill_time:?}"
        );
    }

    #[test]
    fn honeypots_catch_any_visible_value() {
        let spam = spam(Some("website"), None);
        check(&spam, &[("email", "a@b.co")], None, None);
        check(&spam, &[("website", "")], None, None);
        check(&spam, &[("website", "  \t")], None, None);
        check(
            &spam,
            &[("website", "http://x")],
            None,
            Some(Trap::Honeypot),
        );
        check(
            &spam,
            &[("website", ""), ("website", "x")],
            None,
            Some(Trap::Honeypot),
        );
        check(&spam, &[("Website", "x")], None, None);
        check(&super::Spam::default(), &[("website", "x")], None, None);
    }

    #[test]
    fn fill_time_judges_only_what_the_widget_measured() {
        let spam = spam(Some("website"), Some(3000));
        check(&spam, &[], Some("0"), Some(Trap::FillTime));
        check(&spam, &[], Some("2999"), Some(Trap::FillTime));
        check(&spam, &[], Some("3000"), None);
        check(&spam, &[], Some("60000"), None);
        // A native post has no fill time; garbage is not judged either.
        check(&spam, &[], None, None);
        check(&spam, &[], Some(""), None);
        check(&spam, &[], Some("-5"), None);
        check(&spam, &[], Some("12.5"), None);
        check(&spam, &[], Some("soon"), None);
        // The honeypot wins when both trip.
        check(&spam, &[("website", "x")], Some("1"), Some(Trap::Honeypot));
        // Without a minimum, any fill time passes.
        check(&super::Spam::default(), &[], Some("0"), None);
    }

    #[test]
    fn fill_times_are_whole_milliseconds() {
        assert_eq!(fill_ms("1500"), Some(1500));
        assert_eq!(fill_ms(" 1500 "), Some(1500));
        assert_eq!(fill_ms("+1500"), None);
        assert_eq!(fill_ms("1e3"), None);
        assert_eq!(fill_ms("9999999999999999"), None);
        assert_eq!(fill_ms("999999999999999"), Some(999_999_999_999_999));
    }

    #[test]
    fn traps_have_stable_names() {
        for trap in Trap::ALL {
            assert_eq!(Trap::parse(trap.as_str()), Some(trap));
        }
        assert_eq!(Trap::parse("captcha"), None);
    }
}
