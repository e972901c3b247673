//! The queues: `DELIVERIES` carries one message `{key: id}` per submission the ledger's alarm
//! sends (ledger/object.rs); its consumer delivers each message on its own (one failure never
//! retries the batch), and the queue moves a message that ran out of retries to
//! `closem-deliveries-dlq`, whose consumer (this worker too, told apart by the batch's queue name)
//! marks the submission dead for an operator to replay.
//!
//! Each message asks the submission's shard first: a submission already delivered or refused is
//! acknowledged without calling CLOSEM, which makes a second delivery of one message harmless; one
//! that another attempt holds is retried after that attempt's lease. The verdict follows the
//! failure policy of forward.rs: failures are retried by the queue (then dead-lettered); a
//! throttled or held submission is acknowledged and the ledger sends it again when its wait is
//! over, so neither counts against the queue's retries.

// branch `config` edits this file now; narrow its `pub` items once that lands (issue 15).
#![allow(unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use wasm_bindgen::JsValue;
use worker::worker_sys::{Message, MessageBatch};
use worker::Env;

use crate::alert;
use crate::config::Config;
use crate::forward::{self, Delivery};
use crate::js;
use crate::ledger::shard::SubmissionId;
use crate::ledger::{self, Begin, Finish, LedgerClient, Outcome};
use crate::log;

/// The producer binding.
pub const BINDING: &str = "DELIVERIES";
/// The dead-letter queue's name (wrangler.jsonc names it as the consumer's `dead_letter_queue`).
pub const DEAD_LETTER_QUEUE: &str = "closem-deliveries-dlq";
/// Delay before retrying a message whose ledger or configuration could not be read.
const TROUBLE_DELAY_SECONDS: u32 = 10;
/// Delay before retrying a message while the worker's bindings are wrong.
const NOT_CONFIGURED_DELAY_SECONDS: u32 = 60;

pub async fn consume(batch: &MessageBatch, env: &Env, config: Option<&Config>) {
    let dead_letters = batch.queue().is_ok_and(|name| name == DEAD_LETTER_QUEUE);
    let messages: Vec<Message> = batch
        .messages()
        .map(|messages| messages.iter().map(Message::from).collect())
        .unwrap_or_default();
    if dead_letters {
        join_all(messages.iter().map(|message| bury(message, env, config))).await;
    } else {
        join_all(messages.iter().map(|message| deliver(message, env, config))).await;
    }
}

/// Runs `futures` together until all are done: futures_util's `join_all` for small sets, without
/// the machinery for large ones that it compiles in (a batch is at most 100 messages; this worker's
/// are 10).
pub async fn join_all<F: Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut pending: Vec<Pin<Box<F>>> = futures.map(Box::pin).collect();
    std::future::poll_fn(|context| {
        pending.retain_mut(|future| future.as_mut().poll(context).is_pending());
        if pending.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// The submission id a message carries, if it has the shape of one.
fn id_of(message: &Message) -> Option<SubmissionId> {
    let id = js::get(&message.body().ok()?, "key")?.as_string()?;
    SubmissionId::parse(&id)
}

// The awaits stay in this one future, between synchronous named steps: each async step of its
// own adds a future's state machine and drop glue to the bundle (issue 15 measured it).
async fn deliver(message: &Message, env: &Env, config: Option<&Config>) {
    let Some((ledger, key, config)) = open(message, env, config) else {
        return;
    };
    let begun = ledger.begin(&key).await;
    let Some(Lease {
        fields,
        attempts_before,
        in_doubt,
    }) = lease(message, &key, begun)
    else {
        return;
    };
    let started = js_sys::Date::now();
    let fields = if in_doubt {
        forward::resend_fields(fields)
    } else {
        fields
    };
    let (delivery, excerpt) = forward::forward(config, &fields, &key).await;
    let (result, retry_in_seconds) = verdict(delivery, attempts_before + 1, config.max_delay);
    let finish = report(&key, delivery, result, excerpt, retry_in_seconds);
    // A lost report would leave the lease to expire and CLOSEM to be called again: try it twice.
    let finished = match ledger.finish(&finish).await {
        Ok(finished) => Ok(finished),
        Err(_) => ledger.finish(&finish).await,
    };
    let attempts = finished
        .as_ref()
        .map_or(attempts_before + 1, |(attempts, _)| *attempts);
    log::write(
        log::line("deliver")
            .str("id", &key)
            .str("outcome", delivery.name())
            .opt_int("upstream_status", delivery.status().map(i64::from))
            .int("attempts", i64::from(attempts))
            .bool("in_doubt", in_doubt)
            .bool("recorded", finished.is_ok())
            .int("ms", log::elapsed_ms(started)),
    );
    settle(message, result, finished.is_ok(), retry_in_seconds);
    // After the state is recorded and the message settled: a slow webhook delays nothing.
    if let (Outcome::Held, Ok((_, form)), Some(alerts)) = (result, &finished, &config.alerts) {
        alert::raise(env, alerts, alert::Kind::KeyRefused, form, 0).await;
    }
}

/// The message's submission, its shard and the configuration; settles the message itself
/// (logged) when any is missing.
fn open<'a>(
    message: &Message,
    env: &Env,
    config: Option<&'a Config>,
) -> Option<(LedgerClient, String, &'a Config)> {
    let Some(id) = id_of(message) else {
        log::write(log::line("deliver").str("outcome", "malformed_message"));
        ack(message);
        return None;
    };
    let key = id.text();
    let Ok(ledger) = LedgerClient::for_id(env, &id) else {
        note(&key, "ledger_unbound");
        retry(message, TROUBLE_DELAY_SECONDS);
        return None;
    };
    let Some(config) = config else {
        // The bindings are wrong; /health says why. Keep the message until they are fixed.
        note(&key, "not_configured");
        retry(message, NOT_CONFIGURED_DELAY_SECONDS);
        return None;
    };
    Some((ledger, key, config))
}

/// What an attempt may send: the recorded fields, the attempts made before, and whether an
/// earlier one may have reached CLOSEM unrecorded.
struct Lease {
    fields: Vec<(String, String)>,
    attempts_before: u32,
    in_doubt: bool,
}

/// What the shard's `begin` lets this attempt do: send the fields (with the attempts made
/// before, and whether an earlier one is in doubt), or nothing, the message then settled here (logged).
fn lease(message: &Message, key: &str, begun: Result<Begin, ledger::Unavailable>) -> Option<Lease> {
    let Ok(begin) = begun else {
        note(key, "ledger_error");
        retry(message, TROUBLE_DELAY_SECONDS);
        return None;
    };
    match begin {
        Begin::Go {
            fields,
            attempts,
            in_doubt,
        } => Some(Lease {
            fields,
            attempts_before: attempts,
            in_doubt,
        }),
        Begin::Done { state } => {
            log::write(
                log::line("deliver")
                    .str("id", key)
                    .str("outcome", "already")
                    .str("state", state.as_str()),
            );
            ack(message);
            None
        }
        Begin::Busy { retry_in_ms } => {
            let seconds = u32::try_from((retry_in_ms + 999) / 1000).unwrap_or(1);
            retry(message, seconds.max(1));
            None
        }
        Begin::Unknown => {
            note(key, "unknown_key");
            ack(message);
            None
        }
    }
}

/// The attempt as the shard records it.
fn report(
    key: &str,
    delivery: Delivery,
    result: Outcome,
    excerpt: Option<String>,
    retry_in_seconds: u32,
) -> Finish {
    Finish {
        id: key.to_string(),
        result,
        status: delivery.status(),
        cause: match delivery {
            Delivery::Unavailable { cause } => Some(cause.as_str().to_string()),
            Delivery::KeyRefused { .. } => Some("key_refused".to_string()),
            Delivery::Throttled { .. } => Some("throttled".to_string()),
            _ => None,
        },
        excerpt,
        retry_in_ms: i64::from(retry_in_seconds) * 1000,
    }
}

/// Acks or retries the message once the attempt is over.
fn settle(message: &Message, result: Outcome, recorded: bool, retry_in_seconds: u32) {
    match (result, recorded) {
        (Outcome::Failed, _) => retry(message, retry_in_seconds),
        // Delivered, refused, or left to the ledger to send again when its wait is over.
        (_, true) => ack(message),
        (_, false) => {
            // The next attempt finds the lease and waits it out; CLOSEM may then see this
            // submission twice, with the same Idempotency-Key.
            retry(message, TROUBLE_DELAY_SECONDS);
        }
    }
}

/// What the ledger makes of an attempt (`attempts` of them so far, this one included), and the
/// wait before the next one in seconds: the queue's backoff for failures, `Retry-After` (capped)
/// for throttling, the backoff's cap while the key is refused.
pub fn verdict(delivery: Delivery, attempts: u32, max_delay: u32) -> (Outcome, u32) {
    match delivery {
        Delivery::Delivered { .. } => (Outcome::Delivered, 0),
        Delivery::Refused { .. } => (Outcome::Refused, 0),
        Delivery::KeyRefused { .. } => (Outcome::Held, max_delay.max(1)),
        Delivery::Throttled { retry_after, .. } => (
            Outcome::Throttled,
            retry_after
                .unwrap_or_else(|| ledger::backoff_seconds(attempts, max_delay))
                .clamp(1, max_delay.max(1)),
        ),
        Delivery::Unavailable { .. } => (
            Outcome::Failed,
            ledger::backoff_seconds(attempts, max_delay),
        ),
    }
}

/// A message the queue gave up on: mark its submission dead, then let it go.
async fn bury(message: &Message, env: &Env, config: Option<&Config>) {
    let Some(id) = id_of(message) else {
        ack(message);
        return;
    };
    let key = id.text();
    let Ok(ledger) = LedgerClient::for_id(env, &id) else {
        retry(message, TROUBLE_DELAY_SECONDS);
        return;
    };
    match ledger.dead(&key).await {
        Ok((changed, form)) => {
            log::write(
                log::line("dead_letter")
                    .str("id", &key)
                    .bool("marked_dead", changed),
            );
            ack(message);
            if let (true, Some(alerts)) =
                (changed, config.and_then(|config| config.alerts.as_ref()))
            {
                alert::raise(env, alerts, alert::Kind::DeadLetter, &form, 0).await;
            }
        }
        Err(_) => retry(message, TROUBLE_DELAY_SECONDS),
    }
}

fn retry(message: &Message, delay_seconds: u32) {
    let options = js::object(&[("delaySeconds", JsValue::from(delay_seconds))]);
    let _ = message.retry(options);
}

fn ack(message: &Message) {
    let _ = message.ack();
}

/// Logs a delivery that ended before CLOSEM was called.
fn note(key: &str, outcome: &str) {
    log::write(log::line("deliver").str("id", key).str("outcome", outcome));
}

#[cfg(test)]
mod tests {
    use super::verdict;
    use crate::forward::{Delivery, RetryCause};
    use crate::ledger::Outcome;

    #[test]
    fn verdicts_follow_the_policy_and_waits_stay_under_the_cap() {
        let check = |delivery: Delivery, attempts: u32, expected: (Outcome, u32)| {
            assert_eq!(verdict(delivery, attempts, 60), expected, "{delivery:?}");
        };
        check(
            Delivery::Delivered { status: 200 },
            1,
            (Outcome::Delivered, 0),
        );
        check(Delivery::Refused { status: 422 }, 1, (Outcome::Refused, 0));
        check(Delivery::KeyRefused { status: 401 }, 1, (Outcome::Held, 60));
        let throttled = |retry_after| Delivery::Throttled {
            status: 429,
            retry_after,
        };
        check(throttled(Some(7)), 1, (Outcome::Throttled, 7));
        check(throttled(Some(3600)), 1, (Outcome::Throttled, 60));
        check(throttled(Some(0)), 1, (Outcome::Throttled, 1));
        check(throttled(None), 3, (Outcome::Throttled, 8));
        let failed = Delivery::Unavailable {
            cause: RetryCause::Redirect(302),
        };
        check(failed, 1, (Outcome::Failed, 2));
        check(failed, 10, (Outcome::Failed, 60));
    }
}
