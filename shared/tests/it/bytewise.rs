//! The byte-wise parsers of issue 12 answer exactly as the `str`-slicing code they replaced,
//! which is kept here as the oracle: the widget lost its panic and formatting residue, not a rule.

use closem_shared::{check_value, Email, Field, Id, IdList, IssueKind};
use proptest::prelude::*;

use crate::ctx;

/// `Email::parse` before issue 12, verbatim.
fn email_before(value: &str) -> Result<String, IssueKind> {
    const MAX_LEN: usize = 254;
    const MAX_LOCAL: usize = 64;
    const MAX_LABEL: usize = 63;
    fn valid_local(local: &str) -> bool {
        let allowed =
            |byte: u8| byte.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&byte);
        !local.is_empty()
            && local.len() <= MAX_LOCAL
            && local.bytes().all(allowed)
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
    }
    fn valid_domain(domain: &str) -> bool {
        let mut labels = 0;
        for label in domain.split('.') {
            let allowed = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-';
            if label.is_empty()
                || label.len() > MAX_LABEL
                || label.starts_with('-')
                || label.ends_with('-')
                || !label.bytes().all(allowed)
            {
                return false;
            }
            labels += 1;
        }
        let top = domain.rsplit('.').next().unwrap_or("");
        labels >= 2 && !top.bytes().all(|byte| byte.is_ascii_digit())
    }
    let value = value.trim();
    if value.is_empty() || value.len() > MAX_LEN || !value.is_ascii() {
        return Err(IssueKind::Format);
    }
    let (local, domain) = value.split_once('@').ok_or(IssueKind::Format)?;
    if !valid_local(local) || !valid_domain(domain) {
        return Err(IssueKind::Format);
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

fn email_now(value: &str) -> Result<String, IssueKind> {
    Email::parse(value).map(|email| email.as_str().to_owned())
}

/// Text near the rules' edges: every character class the parser tells apart, runs of dots,
/// hyphens and at signs, and Unicode spaces and look-alikes.
fn email_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9]{0,3}([.@-]{1,2}[a-zA-Z0-9_]{0,3}){0,5}",
        "[ \t\u{a0}\u{2009}]{0,2}[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]{0,24}[ \u{a0}\u{feff}]{0,2}",
        "[A-Za-z0-9._%+'-]{1,20}@[A-Za-z0-9-]{1,12}(\\.[A-Za-z0-9-]{1,12}){0,2}\\.[A-Za-z0-9]{1,6}",
        "[a-z0-9éＯ＠\u{0}\u{7f}\"(),:;<>\\[\\]\\\\]{0,3}@[a-zA-Z0-9.-]{0,12}",
    ]
}

proptest! {
    #[test]
    fn email_parse_answers_as_before(input in email_text()) {
        prop_assert_eq!(email_now(&input), email_before(&input), "{:?}", input);
    }

    #[test]
    fn ids_are_written_as_before(ids in proptest::collection::vec(any::<u64>(), 0..6)) {
        let list = IdList::from_ids(ids.iter().copied().map(Id::from)).unwrap();
        let mut seen = Vec::new();
        for id in &ids {
            if !seen.contains(id) {
                seen.push(*id);
            }
        }
        let before: Vec<String> = seen.iter().map(u64::to_string).collect();
        prop_assert_eq!(list.encode(), before.join(","));
        if let Some(&first) = ids.first() {
            prop_assert_eq!(
                check_value(Field::SequenceId, &format!(" 0{first} "), &ctx()),
                Ok(first.to_string())
            );
        }
    }
}

/// The lengths where the rules turn: local part 64, label 63, address 254.
#[test]
fn email_length_limits_answer_as_before() {
    let label = |length: usize| "b".repeat(length);
    let mut inputs = Vec::new();
    for local in [63, 64, 65] {
        inputs.push(format!("{}@example.com", "a".repeat(local)));
    }
    for length in [62, 63, 64] {
        inputs.push(format!("a@{}.com", label(length)));
    }
    // 4 labels of 63 and separators: total lengths around 254.
    for extra in [0, 1, 2, 3] {
        let domain = format!("{0}.{0}.{0}.{1}", label(60), label(60 + extra));
        inputs.push(format!("{}@{domain}", "a".repeat(8)));
    }
    inputs.extend(
        [
            "",
            " ",
            "@",
            "a@",
            "@b.c",
            "a@b",
            "a@b.",
            "a@.b.c",
            "a.@b.co",
            "a@b..co",
            "a@b.c0",
            "a@1.23",
            "a@b.co@",
            "A@B.CO",
            " a@b.co\u{a0}",
            "a@-b.co",
            "a@b-.co",
            "a@b.co-",
        ]
        .map(String::from),
    );
    for input in inputs {
        assert_eq!(email_now(&input), email_before(&input), "{input:?}");
    }
}
