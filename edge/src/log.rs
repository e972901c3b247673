//! Structured log lines (one JSON object each) with no secrets and no raw personal data: emails and
//! phones appear only as short hashes, enough for an operator to correlate.

/// FNV-1a 64 of the normalised value, as 16 hex digits. Not a secret-keeping hash; it keeps the
/// address itself out of logs while letting two lines about one person be matched.
pub(crate) fn fingerprint(value: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in value.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Starts a log line about `event`; add fields, then [`write`].
pub(crate) fn line(event: &str) -> crate::json::Object {
    let mut line = crate::json::object();
    line.str("event", event);
    line
}

/// Whole milliseconds since `started` (`Date.now()`), for the `ms` of a line.
pub(crate) fn elapsed_ms(started: f64) -> i64 {
    (js_sys::Date::now() - started).round() as i64
}

/// Writes a line started with [`line`] to the worker's log.
pub(crate) fn write(line: &mut crate::json::Object) {
    web_sys::console::log_1(&line.finish().into());
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprints_are_stable_and_hide_the_value() {
        assert_eq!(fingerprint("a@b.co"), fingerprint("a@b.co"));
        assert_ne!(fingerprint("a@b.co"), fingerprint("a@b.cz"));
        assert!(!fingerprint("a@b.co").contains('@'));
        assert_eq!(fingerprint("").len(), 16);
    }
}
