//! What each answer means for the submission it answers (`wire::Disposition`): the one table the
//! widget's outbox follows and the edge's statuses are written to.

use closem_shared::wire::Disposition;

#[test]
fn every_status_class_has_its_disposition() {
    let check = |status: u16, ok: bool, codes: &[&str], expected: Disposition| {
        assert_eq!(
            Disposition::of(status, ok, codes.iter().copied()),
            expected,
            "{status} ok={ok} {codes:?}"
        );
    };
    use Disposition::*;
    check(202, true, &[], Accepted);
    check(200, true, &[], Accepted);
    check(202, false, &[], Refused);
    check(422, false, &["email.format"], Fix);
    check(400, false, &["body.encoding"], Refused);
    check(404, false, &[], Refused);
    check(
        409,
        false,
        &[closem_shared::wire::code::KEY_REUSED],
        Refused,
    );
    check(413, false, &[], Refused);
    check(403, false, &["origin.forbidden"], Refused);
    check(403, false, &["turnstile.failed"], Rechallenge);
    check(403, false, &["turnstile.missing"], Rechallenge);
    for status in [0, 408, 425, 429, 500, 502, 503, 504] {
        check(status, false, &[], Retry);
    }
    assert!(Retry.is_kept() && Rechallenge.is_kept());
    assert!(!Accepted.is_kept() && !Fix.is_kept() && !Refused.is_kept());
}
