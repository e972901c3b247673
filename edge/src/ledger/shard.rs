//! Which ledger shard holds a submission, and the submission id that names it.
//!
//! A submission's idempotency key (`k` and 32 hex digits, idempotency.rs) picks its shard by a
//! jump consistent hash (Lamping and Veach, 2014) of a 64-bit seed: for a client's key the key's
//! own digest, for a derived key a digest of the form and fields without the time bucket, so the
//! key of this bucket and of the previous one land on the same shard. The shard is written into
//! the id, `s{shard}-{key}`, which is what the visitor, the operator, the queue message and
//! CLOSEM's `Idempotency-Key` header see: a lookup or a replay goes straight to its shard, whatever
//! the shard count is now. A bare key (an id made before sharding) names shard 0, which is the
//! object the single ledger used (`ledger`).
//!
//! Changing `LEDGER_SHARDS` moves the keys whose jump hash changes (growing from n to m moves
//! about (m - n) / m of them, and only onto the new shards); rows already recorded stay where
//! their ids say and are delivered by their own shard. For as long as resubmissions of older
//! submissions can arrive, `LEDGER_SHARDS_PREVIOUS` names the old count: a new key whose old shard
//! differs is looked up there first (one more ledger call, for moved keys only), so a resubmission
//! is still found. ARCHITECTURE.md has the procedure.

use crate::idempotency;

/// Shards unless `LEDGER_SHARDS` says.
pub const DEFAULT_SHARDS: u16 = 16;
/// The most shards `LEDGER_SHARDS` may name (each is one Durable Object).
pub const MAX_SHARDS: u16 = 1024;

/// A submission's id: its shard and its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionId {
    pub shard: u16,
    pub key: String,
}

impl SubmissionId {
    pub fn new(shard: u16, key: &str) -> SubmissionId {
        SubmissionId {
            shard,
            key: key.to_string(),
        }
    }

    /// `s{shard}-{key}`; `{key}` alone is shard 0. `None` unless it has exactly that shape.
    pub fn parse(text: &str) -> Option<SubmissionId> {
        if idempotency::is_key(text) {
            return Some(SubmissionId::new(0, text));
        }
        let (shard, key) = text.strip_prefix('s')?.split_once('-')?;
        let canonical = !shard.is_empty()
            && shard.len() <= 4
            && shard.bytes().all(|byte| byte.is_ascii_digit())
            && (shard == "0" || !shard.starts_with('0'));
        let shard: u16 = shard.parse().ok().filter(|_| canonical)?;
        (shard < MAX_SHARDS && idempotency::is_key(key)).then(|| SubmissionId::new(shard, key))
    }

    pub fn text(&self) -> String {
        format!("s{}-{}", self.shard, self.key)
    }
}

/// The Durable Object name of shard `shard`. Shard 0 keeps the single ledger's name, so what it
/// held stays reachable.
pub fn object_name(shard: u16) -> String {
    if shard == 0 {
        "ledger".to_string()
    } else {
        format!("ledger-{shard}")
    }
}

/// The 64-bit seed of a digest (its first 8 bytes, big-endian).
pub fn seed_of(digest: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    for (slot, byte) in bytes.iter_mut().zip(digest) {
        *slot = *byte;
    }
    u64::from_be_bytes(bytes)
}

/// Jump consistent hash: a bucket in `0..buckets` for `seed`; growing `buckets` moves a seed only
/// onto one of the new buckets.
pub fn jump(mut seed: u64, buckets: u16) -> u16 {
    let buckets = i64::from(buckets.max(1));
    let (mut bucket, mut next) = (-1i64, 0i64);
    while next < buckets {
        bucket = next;
        seed = seed.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        let divisor = ((seed >> 33) + 1) as f64;
        next = ((bucket + 1) as f64 * ((1u64 << 31) as f64 / divisor)) as i64;
    }
    u16::try_from(bucket).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{jump, object_name, seed_of, SubmissionId};

    const KEY: &str = "k000102030405060708090a0b0c0d0e0f";

    #[test]
    fn ids_name_their_shard_and_key() {
        let check = |text: &str, expected: Option<(u16, &str)>| {
            let parsed = SubmissionId::parse(text);
            assert_eq!(
                parsed,
                expected.map(|(shard, key)| SubmissionId::new(shard, key)),
                "{text}"
            );
            if let Some(parsed) = parsed.filter(|_| text.starts_with('s')) {
                assert_eq!(parsed.text(), text);
            }
        };
        check(&format!("s0-{KEY}"), Some((0, KEY)));
        check(&format!("s15-{KEY}"), Some((15, KEY)));
        check(&format!("s1023-{KEY}"), Some((1023, KEY)));
        check(KEY, Some((0, KEY)));
        check(&format!("s1024-{KEY}"), None);
        check(&format!("s01-{KEY}"), None);
        check(&format!("s-{KEY}"), None);
        check(&format!("s+1-{KEY}"), None);
        check(&format!("s1-{}", &KEY[..32]), None);
        check(&format!("t1-{KEY}"), None);
        check("s1-../../x", None);
        check("", None);
    }

    #[test]
    fn shard_zero_is_the_single_ledger_of_before() {
        assert_eq!(object_name(0), "ledger");
        assert_eq!(object_name(7), "ledger-7");
    }

    #[test]
    fn seeds_are_the_digests_first_bytes() {
        let digest: Vec<u8> = (0u8..32).collect();
        assert_eq!(seed_of(&digest), 0x0001_0203_0405_0607);
        assert_eq!(seed_of(&[1]), 0x0100_0000_0000_0000);
    }

    #[test]
    fn jump_hash_spreads_keys_and_moves_few_when_growing() {
        let seeds: Vec<u64> = (0..10_000u64)
            .map(|n| n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let mut per_shard = [0u32; 16];
        for seed in &seeds {
            let shard = jump(*seed, 16);
            assert!(shard < 16);
            per_shard[usize::from(shard)] += 1;
        }
        assert!(
            per_shard.iter().all(|n| (450..=800).contains(n)),
            "{per_shard:?}"
        );
        // 16 -> 20: a key either stays or moves onto one of the 4 new shards.
        let moved = seeds
            .iter()
            .filter(|seed| {
                let (before, after) = (jump(**seed, 16), jump(**seed, 20));
                assert!(before == after || after >= 16, "{seed}");
                before != after
            })
            .count();
        assert!((1_500..=2_500).contains(&moved), "{moved} of 10000 moved");
        assert_eq!(jump(12345, 1), 0);
        assert_eq!(jump(12345, 0), 0);
    }
}
