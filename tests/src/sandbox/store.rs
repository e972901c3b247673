//! The sandbox's memory: every API request it received, and the fault orders in force.
//!
//! Shared by all connections behind one mutex that is never held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use super::rules;

/// Oldest requests are forgotten past this many, so a long demo cannot exhaust memory.
const MAX_RECORDS: usize = 10_000;
const DEFAULT_FAULT_STATUS: u16 = 503;
const DEFAULT_SEED: u64 = 1;

/// One API request as the sandbox saw it. The API key itself is never stored.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    /// 1, 2, 3... over the sandbox's life (not reset by clearing).
    pub seq: u64,
    /// `sbx-000001`... for accepted requests only, as returned to the client.
    pub id: Option<String>,
    /// What arrived and how it was answered (its fields serialised beside `seq` and `id`).
    #[serde(flatten)]
    pub arrival: Arrival,
    /// For an accepted `addcontact`: `created` when it added a contact (a second one if the same
    /// person was added before without `upsert`), `modified` when `upsert=true` found the contact
    /// by its email or phone and changed it. What CLOSEM's contact list would show.
    pub contact: Option<&'static str>,
}

/// What the handler knows about a request before the store numbers it.
#[derive(Clone, Debug, Serialize)]
pub struct Arrival {
    /// When it arrived, RFC 3339 in UTC.
    pub time: String,
    /// The `mode` field as sent, valid or not.
    pub mode: Option<String>,
    /// The status answered; `None` when the connection was dropped on purpose.
    pub status: Option<u16>,
    pub accepted: bool,
    /// Which fault order answered it: `drop_next`, `lose_answer_next` (handled as usual, then the
    /// answer lost), `down`, `fail_next` or `fail_rate`.
    pub fault: Option<&'static str>,
    pub errors: Vec<String>,
    pub content_type: Option<String>,
    pub auth_matched: bool,
    pub idempotency_key: Option<String>,
    /// Every field in the order received, serialised as `[name, value]` pairs.
    pub fields: Vec<(String, String)>,
    /// Field names the mode does not document (only for a valid mode).
    pub unknown_fields: Vec<String>,
}

/// The fault orders in force, as `GET /_sandbox/faults` shows them.
#[derive(Clone, Debug, Serialize)]
pub struct Faults {
    pub fail_next: u64,
    pub fail_next_status: u16,
    pub latency_ms: u64,
    pub drop_next: u64,
    /// Requests to handle (and record, accepted or not) and then to close without an answer: the
    /// answer lost in transit, so the client cannot know that CLOSEM took the request.
    pub lose_answer_next: u64,
    pub fail_rate: f64,
    pub fail_rate_status: u16,
    pub seed: u64,
    pub down: bool,
    /// What `down` answers (503 unless the order said, e.g. 429 for a throttling stretch or 401
    /// for a window of refused keys).
    pub down_status: u16,
    /// Seconds sent as `Retry-After` with every fault's answer, if set.
    pub retry_after: Option<u64>,
    /// Milliseconds between the bytes of every answer's body (a slow drip), 0 for none.
    pub drip_ms: u64,
}

impl Faults {
    fn none() -> Faults {
        Faults {
            fail_next: 0,
            fail_next_status: DEFAULT_FAULT_STATUS,
            latency_ms: 0,
            drop_next: 0,
            lose_answer_next: 0,
            fail_rate: 0.0,
            fail_rate_status: DEFAULT_FAULT_STATUS,
            seed: DEFAULT_SEED,
            down: false,
            down_status: DEFAULT_FAULT_STATUS,
            retry_after: None,
            drip_ms: 0,
        }
    }
}

/// How a fault order answers one API request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FaultAction {
    /// Close the connection without answering.
    Drop,
    /// Handle the request as usual, then close the connection instead of answering.
    LoseAnswer,
    /// Answer with this status; `order` names the fault order.
    Fail { status: u16, order: &'static str },
}

pub(super) struct FaultDecision {
    pub latency: Duration,
    pub action: Option<FaultAction>,
    pub retry_after: Option<u64>,
    pub drip: Duration,
}

struct State {
    records: VecDeque<RecordedRequest>,
    /// The contact book: `email:...` / `phone:...` -> how many contacts carry it.
    contacts: HashMap<String, u64>,
    next_seq: u64,
    next_id: u64,
    faults: Faults,
    random: SplitMix64,
}

impl State {
    /// Files an accepted `addcontact` in the contact book, as CLOSEM would: `upsert=true` modifies
    /// a contact found by email or phone; anything else adds one.
    fn file_contact(&mut self, fields: &[(String, String)]) -> &'static str {
        let (identity, upsert) = rules::contact_identity(fields);
        let known = identity.iter().any(|key| self.contacts.contains_key(key));
        if upsert && known {
            return "modified";
        }
        for key in identity {
            *self.contacts.entry(key).or_insert(0) += 1;
        }
        "created"
    }
}

#[derive(Clone)]
pub(super) struct Store {
    state: Arc<Mutex<State>>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    pub(super) fn new() -> Store {
        Store {
            state: Arc::new(Mutex::new(State {
                records: VecDeque::new(),
                contacts: HashMap::new(),
                next_seq: 1,
                next_id: 1,
                faults: Faults::none(),
                random: SplitMix64(DEFAULT_SEED),
            })),
        }
    }

    /// A panic elsewhere must not take the sandbox down with a poisoned lock.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Numbers and keeps one request; accepted ones get the next `sbx-` id.
    pub(super) fn record(&self, arrival: Arrival) -> RecordedRequest {
        let mut state = self.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        let id = arrival.accepted.then(|| {
            let id = format!("sbx-{:06}", state.next_id);
            state.next_id += 1;
            id
        });
        let contact = (arrival.accepted && arrival.mode.as_deref() == Some("addcontact"))
            .then(|| state.file_contact(&arrival.fields));
        let recorded = RecordedRequest {
            seq,
            id,
            arrival,
            contact,
        };
        if state.records.len() == MAX_RECORDS {
            state.records.pop_front();
        }
        state.records.push_back(recorded.clone());
        recorded
    }

    /// Oldest first; `accepted` filters on acceptance when given.
    pub(super) fn requests(&self, accepted: Option<bool>) -> Vec<RecordedRequest> {
        self.lock()
            .records
            .iter()
            .filter(|request| accepted.is_none_or(|wanted| request.arrival.accepted == wanted))
            .cloned()
            .collect()
    }

    /// Forgets the requests and the contacts they made.
    pub(super) fn clear_requests(&self) {
        let mut state = self.lock();
        state.records.clear();
        state.contacts.clear();
    }

    pub(super) fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    pub(super) fn clear_faults(&self) {
        let mut state = self.lock();
        state.faults = Faults::none();
        state.random = SplitMix64(DEFAULT_SEED);
    }

    /// Decides, and counts down, the faults for the API request that just arrived. Precedence:
    /// `drop_next`, `lose_answer_next`, `down`, `fail_next`, then `fail_rate`; a later order is not
    /// consumed when an
    /// earlier one applies.
    pub(super) fn decide_fault(&self) -> FaultDecision {
        let mut guard = self.lock();
        let state = &mut *guard;
        let latency = Duration::from_millis(state.faults.latency_ms);
        let faults = &mut state.faults;
        let action = if faults.drop_next > 0 {
            faults.drop_next -= 1;
            Some(FaultAction::Drop)
        } else if faults.lose_answer_next > 0 {
            faults.lose_answer_next -= 1;
            Some(FaultAction::LoseAnswer)
        } else if faults.down {
            Some(FaultAction::Fail {
                status: faults.down_status,
                order: "down",
            })
        } else if faults.fail_next > 0 {
            faults.fail_next -= 1;
            Some(FaultAction::Fail {
                status: faults.fail_next_status,
                order: "fail_next",
            })
        } else if faults.fail_rate > 0.0 {
            let (rate, status) = (faults.fail_rate, faults.fail_rate_status);
            (state.random.next_unit() < rate).then_some(FaultAction::Fail {
                status,
                order: "fail_rate",
            })
        } else {
            None
        };
        FaultDecision {
            latency,
            action,
            retry_after: faults.retry_after,
            drip: Duration::from_millis(faults.drip_ms),
        }
    }

    /// Applies one `POST /_sandbox/faults` body. Only the orders named change; the whole order is
    /// refused, with every problem listed, if any part is wrong.
    pub(super) fn apply_fault_order(&self, order: &Value) -> Result<Faults, Vec<String>> {
        let parsed = FaultOrder::parse(order)?;
        let mut guard = self.lock();
        let state = &mut *guard;
        let faults = &mut state.faults;
        if let Some(count) = parsed.fail_next {
            faults.fail_next = count;
            faults.fail_next_status = parsed.status.unwrap_or(DEFAULT_FAULT_STATUS);
        }
        if let Some(latency_ms) = parsed.latency_ms {
            faults.latency_ms = latency_ms;
        }
        if let Some(count) = parsed.drop_next {
            faults.drop_next = count;
        }
        if let Some(count) = parsed.lose_answer_next {
            faults.lose_answer_next = count;
        }
        if let Some(down) = parsed.down {
            faults.down = down;
            faults.down_status = parsed.status.unwrap_or(DEFAULT_FAULT_STATUS);
        }
        if let Some(retry_after) = parsed.retry_after {
            faults.retry_after = (retry_after > 0).then_some(retry_after - 1);
        }
        if let Some(drip_ms) = parsed.drip_ms {
            faults.drip_ms = drip_ms;
        }
        if let Some(rate) = parsed.fail_rate {
            faults.fail_rate = rate;
            faults.fail_rate_status = parsed.status.unwrap_or(DEFAULT_FAULT_STATUS);
        }
        // A fail_rate order restarts its sequence so the same order fails the same requests.
        if parsed.fail_rate.is_some() || parsed.seed.is_some() {
            let seed = parsed.seed.unwrap_or(DEFAULT_SEED);
            faults.seed = seed;
            state.random = SplitMix64(seed);
        }
        Ok(state.faults.clone())
    }
}

#[derive(Default)]
struct FaultOrder {
    fail_next: Option<u64>,
    status: Option<u16>,
    latency_ms: Option<u64>,
    drop_next: Option<u64>,
    lose_answer_next: Option<u64>,
    fail_rate: Option<f64>,
    seed: Option<u64>,
    down: Option<bool>,
    /// Seconds plus one (0 clears it), so the order `retry_after: 0` can mean "0 seconds".
    retry_after: Option<u64>,
    drip_ms: Option<u64>,
}

impl FaultOrder {
    fn parse(order: &Value) -> Result<FaultOrder, Vec<String>> {
        let empty = Map::new();
        let mut errors = Vec::new();
        let object = match order.as_object() {
            Some(object) => object,
            None => {
                errors.push("a fault order must be a JSON object".to_string());
                &empty
            }
        };
        let mut parsed = FaultOrder::default();
        for (key, value) in object {
            let count = || value.as_u64();
            let ok = match key.as_str() {
                "fail_next" => count().map(|n| parsed.fail_next = Some(n)).is_some(),
                "drop_next" => count().map(|n| parsed.drop_next = Some(n)).is_some(),
                "lose_answer_next" => count().map(|n| parsed.lose_answer_next = Some(n)).is_some(),
                "latency_ms" => count()
                    .filter(|ms| *ms <= 600_000)
                    .map(|ms| parsed.latency_ms = Some(ms))
                    .is_some(),
                "seed" => count().map(|seed| parsed.seed = Some(seed)).is_some(),
                "status" => count()
                    .and_then(|status| u16::try_from(status).ok())
                    .filter(|status| (300..=599).contains(status))
                    .map(|status| parsed.status = Some(status))
                    .is_some(),
                "fail_rate" => value
                    .as_f64()
                    .filter(|rate| (0.0..=1.0).contains(rate))
                    .map(|rate| parsed.fail_rate = Some(rate))
                    .is_some(),
                "down" => value
                    .as_bool()
                    .map(|down| parsed.down = Some(down))
                    .is_some(),
                "retry_after" => match value {
                    Value::Null => {
                        parsed.retry_after = Some(0);
                        true
                    }
                    _ => count()
                        .filter(|seconds| *seconds <= 86_400)
                        .map(|seconds| parsed.retry_after = Some(seconds + 1))
                        .is_some(),
                },
                "drip_ms" => count()
                    .filter(|ms| *ms <= 60_000)
                    .map(|ms| parsed.drip_ms = Some(ms))
                    .is_some(),
                _ => {
                    errors.push(format!(
                        "unknown fault order {key:?}: use fail_next, status, latency_ms, \
                         drop_next, lose_answer_next, fail_rate, seed, down, retry_after or \
                         drip_ms"
                    ));
                    continue;
                }
            };
            if !ok {
                errors.push(match key.as_str() {
                    "status" => "status must be a number from 300 to 599".to_string(),
                    "retry_after" => {
                        "retry_after must be whole seconds up to 86400, or null".to_string()
                    }
                    "drip_ms" => "drip_ms must be a whole number up to 60000".to_string(),
                    "fail_rate" => "fail_rate must be a number from 0 to 1".to_string(),
                    "down" => "down must be true or false".to_string(),
                    "latency_ms" => "latency_ms must be a whole number up to 600000".to_string(),
                    other => format!("{other} must be a whole number"),
                });
            }
        }
        if parsed.status.is_some()
            && parsed.fail_next.is_none()
            && parsed.fail_rate.is_none()
            && parsed.down != Some(true)
        {
            errors.push("status goes with fail_next, fail_rate or down: true".to_string());
        }
        if errors.is_empty() {
            Ok(parsed)
        } else {
            Err(errors)
        }
    }
}

/// A small, seedable pseudo-random sequence (SplitMix64), so `fail_rate` is repeatable.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// Uniform in [0, 1).
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
