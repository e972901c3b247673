//! Idempotency keys: one per submission, so a visitor's resubmission and a queue's second delivery
//! reach CLOSEM once. The visitor's submission id is the key with its ledger shard
//! (`s{shard}-{key}`, ledger/shard.rs).
//!
//! A client names its submission with the `Idempotency-Key` header or the `_closem_key` form field
//! (the widget makes one per submission and reuses it on every retry). A native form post has
//! neither: its key is derived from the form id, the canonical fields CLOSEM would receive and a
//! ten-minute time bucket, so pressing "send" twice (or reloading the answer page) counts once.
//!
//! Either way the key is a SHA-256 of an unambiguous preimage, scoped by the form: it has a fixed
//! shape, and the visitor's email or phone cannot be read back from it (it goes to logs, to the
//! visitor and to CLOSEM as the `Idempotency-Key` header). The preimages are pure and tested
//! natively; the hash is the runtime's WebCrypto.

use crate::hex;

/// The form field a client may name its submission with; never forwarded.
pub(crate) const KEY_FIELD: &str = closem_shared::wire::KEY_FIELD;
/// The request header a client may name its submission with.
pub(crate) const KEY_HEADER: &str = closem_shared::wire::KEY_HEADER;
/// Longest client key accepted (a UUID is 36).
pub(crate) const MAX_CLIENT_KEY: usize = 200;
/// Derived keys of native posts: the same fields within one bucket (or the one before) are one
/// submission.
pub(crate) const BUCKET_SECONDS: i64 = 600;

/// Where a submission's key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// The client named it: exactly one candidate preimage.
    Client(Vec<u8>),
    /// Derived: the current bucket's preimage, then the previous bucket's, so a resubmission just
    /// after a bucket boundary still finds the first; `shard` is the preimage without a bucket,
    /// whose digest starts both keys so that they land on one ledger shard (ledger/shard.rs).
    Derived {
        current: Vec<u8>,
        previous: Vec<u8>,
        shard: Vec<u8>,
    },
}

/// The client's key was unusable: empty after trimming, too long, or not visible ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidKey;

/// Picks the key source: a header wins over the form field; without either, derive one.
pub(crate) fn source(
    form_id: &str,
    header: Option<&str>,
    field: Option<&str>,
    fields: &[(String, String)],
    now_seconds: i64,
) -> Result<Source, InvalidKey> {
    match header.or(field) {
        Some(given) => client_preimage(form_id, given).map(Source::Client),
        None => {
            let bucket = now_seconds.div_euclid(BUCKET_SECONDS);
            Ok(Source::Derived {
                current: derived_preimage(form_id, fields, bucket),
                previous: derived_preimage(form_id, fields, bucket - 1),
                shard: shard_preimage(form_id, fields),
            })
        }
    }
}

/// `client\0{form}\0{key}`: a key names a submission of one form only.
pub(crate) fn client_preimage(form_id: &str, given: &str) -> Result<Vec<u8>, InvalidKey> {
    let given = given.trim();
    let visible = given.bytes().all(|byte| (0x21..=0x7e).contains(&byte));
    if given.is_empty() || given.len() > MAX_CLIENT_KEY || !visible {
        return Err(InvalidKey);
    }
    Ok(format!("client\0{form_id}\0{given}").into_bytes())
}

/// `native\0{form}\0{bucket}` then, per canonical field, `\0{name}\0` and the value prefixed by its
/// length, sorted so the order the encoder emits them in does not matter. Canonical names hold no
/// NUL and values are length-prefixed, so two different field lists never share a preimage.
pub(crate) fn derived_preimage(form_id: &str, fields: &[(String, String)], bucket: i64) -> Vec<u8> {
    fields_preimage(&format!("native\0{form_id}\0{bucket}"), fields)
}

/// The preimage of a derived key's shard seed: the form and fields without a time bucket.
pub(crate) fn shard_preimage(form_id: &str, fields: &[(String, String)]) -> Vec<u8> {
    fields_preimage(&format!("shard\0{form_id}"), fields)
}

fn fields_preimage(head: &str, fields: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = fields.iter().collect();
    // An insertion sort: a form has a few dozen fields at most, and std's sorts cost the worker
    // a few KB. Equal pairs are equal bytes, so the order of ties does not show.
    for unsorted in 1..sorted.len() {
        let mut at = unsorted;
        while at > 0 && sorted[at - 1] > sorted[at] {
            sorted.swap(at - 1, at);
            at -= 1;
        }
    }
    let mut preimage = head.as_bytes().to_vec();
    for (name, value) in sorted {
        preimage.push(0);
        preimage.extend_from_slice(name.as_bytes());
        preimage.push(0);
        preimage.extend_from_slice(&(value.len() as u64).to_be_bytes());
        preimage.extend_from_slice(value.as_bytes());
    }
    preimage
}

/// The key: `k` and the first 128 bits of the digest in hex (33 characters, URL- and header-safe).
pub(crate) fn key_from_digest(digest: &[u8]) -> String {
    let mut key = String::with_capacity(33);
    key.push('k');
    push_hex(&mut key, digest.iter().take(16));
    key
}

/// A derived key: `k`, 64 bits of the shard seed's digest, then 64 bits of the bucket's digest.
pub(crate) fn key_from_digests(shard_digest: &[u8], digest: &[u8]) -> String {
    let mut key = String::with_capacity(33);
    key.push('k');
    push_hex(&mut key, shard_digest.iter().take(8));
    push_hex(&mut key, digest.iter().take(8));
    key
}

fn push_hex<'a>(out: &mut String, bytes: impl Iterator<Item = &'a u8>) {
    for &byte in bytes {
        hex::push_lower(out, byte);
    }
}

/// Whether `text` has the shape of a key this module makes (checked before trusting a queue
/// message or an admin's `?key=`).
pub(crate) fn is_key(text: &str) -> bool {
    text.len() == 33
        && text.starts_with('k')
        && text[1..]
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// SHA-256 of `preimage` with the runtime's WebCrypto. `None` if the runtime refuses, which the
/// caller answers as "try again" (nothing was recorded).
pub(crate) async fn digest(preimage: &[u8]) -> Option<Vec<u8>> {
    use wasm_bindgen::JsCast;
    let global = js_sys::global();
    let crypto = js_sys::Reflect::get(&global, &"crypto".into()).ok()?;
    let subtle = js_sys::Reflect::get(&crypto, &"subtle".into()).ok()?;
    let digest = js_sys::Reflect::get(&subtle, &"digest".into()).ok()?;
    let digest: &js_sys::Function = digest.dyn_ref()?;
    let data = js_sys::Uint8Array::from(preimage);
    let promise = digest.call2(&subtle, &"SHA-256".into(), &data).ok()?;
    let promise: js_sys::Promise = promise.dyn_into().ok()?;
    let buffer = js_sys::futures::JsFuture::from(promise).await.ok()?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    (bytes.len() == 32).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::{
        client_preimage, derived_preimage, is_key, key_from_digest, key_from_digests,
        shard_preimage, source, InvalidKey, Source, BUCKET_SECONDS,
    };

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn client_keys_are_scoped_by_form_and_checked() {
        let check = |given: &str, expected: Result<&str, InvalidKey>| {
            let actual = client_preimage("contact", given);
            let expected = expected.map(|text| text.as_bytes().to_vec());
            assert_eq!(actual, expected, "{given:?}");
        };
        check("abc-123", Ok("client\0contact\0abc-123"));
        check("  abc-123 ", Ok("client\0contact\0abc-123"));
        check(
            "0b6f2a4e-8c1d-4a8e-9b57-1f3c2d4e5f60",
            Ok("client\0contact\x000b6f2a4e-8c1d-4a8e-9b57-1f3c2d4e5f60"),
        );
        check("", Err(InvalidKey));
        check("   ", Err(InvalidKey));
        check("has space", Err(InvalidKey));
        check("nul\0inside", Err(InvalidKey));
        check("clé", Err(InvalidKey));
        check(
            &"x".repeat(200),
            Ok(&format!("client\0contact\0{}", "x".repeat(200))),
        );
        check(&"x".repeat(201), Err(InvalidKey));
        assert_ne!(
            client_preimage("contact", "same"),
            client_preimage("other", "same")
        );
    }

    #[test]
    fn the_header_wins_over_the_field_and_either_wins_over_derivation() {
        let fields = pairs(&[("email", "ann@example.com")]);
        let from_header = source("f", Some("h"), Some("x"), &fields, 0).unwrap();
        assert_eq!(from_header, Source::Client(b"client\0f\0h".to_vec()));
        let from_field = source("f", None, Some("x"), &fields, 0).unwrap();
        assert_eq!(from_field, Source::Client(b"client\0f\0x".to_vec()));
        assert_eq!(source("f", Some(" "), None, &fields, 0), Err(InvalidKey));
        assert!(matches!(
            source("f", None, None, &fields, 0),
            Ok(Source::Derived { .. })
        ));
    }

    #[test]
    fn derived_keys_ignore_field_order_and_change_with_any_field_or_bucket() {
        let one = pairs(&[("mode", "addcontact"), ("email", "ann@example.com")]);
        let reordered = pairs(&[("email", "ann@example.com"), ("mode", "addcontact")]);
        let other_note = pairs(&[
            ("mode", "addcontact"),
            ("email", "ann@example.com"),
            ("note", "x"),
        ]);
        assert_eq!(
            derived_preimage("f", &one, 7),
            derived_preimage("f", &reordered, 7)
        );
        assert_ne!(
            derived_preimage("f", &one, 7),
            derived_preimage("f", &other_note, 7)
        );
        assert_ne!(
            derived_preimage("f", &one, 7),
            derived_preimage("f", &one, 8)
        );
        assert_ne!(
            derived_preimage("f", &one, 7),
            derived_preimage("g", &one, 7)
        );
        // A value cannot smuggle in a second field.
        let smuggled = pairs(&[("a", "1\0b\x001")]);
        let two = pairs(&[("a", "1"), ("b", "1")]);
        assert_ne!(
            derived_preimage("f", &smuggled, 7),
            derived_preimage("f", &two, 7)
        );
    }

    #[test]
    fn derived_sources_carry_this_bucket_and_the_previous_one() {
        let fields = pairs(&[("email", "ann@example.com")]);
        let now = 100 * BUCKET_SECONDS + 5;
        let Ok(Source::Derived {
            current,
            previous,
            shard,
        }) = source("f", None, None, &fields, now)
        else {
            panic!("a derived source");
        };
        assert_eq!(current, derived_preimage("f", &fields, 100));
        assert_eq!(previous, derived_preimage("f", &fields, 99));
        assert_eq!(shard, shard_preimage("f", &fields));
        assert_ne!(shard, derived_preimage("f", &fields, 100));
    }

    #[test]
    fn keys_have_one_shape() {
        let digest: Vec<u8> = (0u8..32).collect();
        let key = key_from_digest(&digest);
        assert_eq!(key, "k000102030405060708090a0b0c0d0e0f");
        assert!(is_key(&key));
        let other: Vec<u8> = (100u8..132).collect();
        let derived = key_from_digests(&digest, &other);
        assert_eq!(derived, "k00010203040506076465666768696a6b");
        assert!(is_key(&derived));
        for text in [
            "",
            "k",
            "K000102030405060708090a0b0c0d0e0f",
            "k000102030405060708090a0b0c0d0e0F",
            "k000102030405060708090a0b0c0d0e0f0",
            "x000102030405060708090a0b0c0d0e0f",
        ] {
            assert!(!is_key(text), "{text:?}");
        }
    }
}
