//! The queues: `DELIVERIES` carries one message `{key}` per accepted submission; its consumer
//! delivers each message on its own (one failure never retries the batch), and the queue moves a
//! message that ran out of retries to `closem-deliveries-dlq`, whose consumer (this worker too,
//! told apart by the batch's queue name) marks the submission dead for an operator to replay.
//!
//! Each message asks the ledger first: a submission already delivered or refused is acknowledged
//! without calling CLOSEM, which makes a second delivery of one message harmless; one that another
//! attempt holds is retried after that attempt's lease.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use wasm_bindgen::JsValue;
use worker::worker_sys::{Message, MessageBatch};
use worker::Env;

use crate::config::Config;
use crate::forward::{self, Delivery};
use crate::idempotency;
use crate::js;
use crate::ledger::{self, Begin, Finish, LedgerClient, Outcome};
use crate::log;

/// The producer binding.
pub const BINDING: &str = "DELIVERIES";
/// The dead-letter queue's name (wrangler.toml names it as the consumer's `dead_letter_queue`).
pub const DEAD_LETTER_QUEUE: &str = "closem-deliveries-dlq";
/// Delay before retrying a message whose ledger or configuration could not be read.
const TROUBLE_DELAY_SECONDS: u32 = 10;
/// Delay before retrying a message while the worker's bindings are wrong.
const NOT_CONFIGURED_DELAY_SECONDS: u32 = 60;

/// Sends the message for `key`: `{key}`, only the key; the ledger holds the fields. An error means
/// it was not queued.
pub async fn enqueue(env: &Env, key: &str) -> Result<(), JsValue> {
    let queue = js::get(env, BINDING).ok_or(JsValue::UNDEFINED)?;
    let message = js::object(&[("key", JsValue::from_str(key))]);
    js::call_async(&queue, "send", &[message]).await.map(drop)
}

pub async fn consume(batch: &MessageBatch, env: &Env, config: Option<&Config>) {
    let dead_letters = batch.queue().is_ok_and(|name| name == DEAD_LETTER_QUEUE);
    let messages: Vec<Message> = batch
        .messages()
        .map(|messages| messages.iter().map(Message::from).collect())
        .unwrap_or_default();
    let ledger = match LedgerClient::open(env) {
        Ok(ledger) => ledger,
        Err(_) => {
            log::write(log::line("deliver").str("outcome", "ledger_unbound"));
            for message in &messages {
                retry(message, TROUBLE_DELAY_SECONDS);
            }
            return;
        }
    };
    if dead_letters {
        join_all(messages.iter().map(|message| bury(message, &ledger))).await;
    } else {
        join_all(
            messages
                .iter()
                .map(|message| deliver(message, &ledger, config)),
        )
        .await;
    }
}

/// Runs `futures` together until all are done: futures_util's `join_all` for small sets, without
/// the machinery for large ones that it compiles in (a batch is at most 100 messages; this worker's
/// are 10).
async fn join_all<F: Future<Output = ()>>(futures: impl Iterator<Item = F>) {
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

/// The key a message carries, if it has the shape of one.
fn key_of(message: &Message) -> Option<String> {
    let key = js::get(&message.body().ok()?, "key")?.as_string()?;
    idempotency::is_key(&key).then_some(key)
}

async fn deliver(message: &Message, ledger: &LedgerClient, config: Option<&Config>) {
    let Some(key) = key_of(message) else {
        log::write(log::line("deliver").str("outcome", "malformed_message"));
        ack(message);
        return;
    };
    let Some(config) = config else {
        // The bindings are wrong; /health says why. Keep the message until they are fixed.
        note(&key, "not_configured");
        retry(message, NOT_CONFIGURED_DELAY_SECONDS);
        return;
    };
    let begin = match ledger.begin(&key).await {
        Ok(begin) => begin,
        Err(_) => {
            note(&key, "ledger_error");
            retry(message, TROUBLE_DELAY_SECONDS);
            return;
        }
    };
    let (fields, attempts_before) = match begin {
        Begin::Go { fields, attempts } => (fields, attempts),
        Begin::Done { state } => {
            log::write(
                log::line("deliver")
                    .str("id", &key)
                    .str("outcome", "already")
                    .str("state", state.as_str()),
            );
            ack(message);
            return;
        }
        Begin::Busy { retry_in_ms } => {
            let seconds = u32::try_from((retry_in_ms + 999) / 1000).unwrap_or(1);
            retry(message, seconds.max(1));
            return;
        }
        Begin::Unknown => {
            note(&key, "unknown_key");
            ack(message);
            return;
        }
    };

    let started = js_sys::Date::now();
    let delivery = forward::forward(config, &fields, &key).await;
    let finish = Finish {
        key: key.clone(),
        result: match delivery {
            Delivery::Delivered { .. } => Outcome::Delivered,
            Delivery::Refused { .. } => Outcome::Refused,
            Delivery::Unavailable { .. } => Outcome::Failed,
        },
        status: delivery.status(),
        cause: match delivery {
            Delivery::Unavailable { cause } => Some(cause.as_str().to_string()),
            _ => None,
        },
    };
    // A lost report would leave the lease to expire and CLOSEM to be called again: try it twice.
    let finished = match ledger.finish(&finish).await {
        Ok(finished) => Ok(finished),
        Err(_) => ledger.finish(&finish).await,
    };
    let attempts = finished
        .as_ref()
        .map_or(attempts_before + 1, |attempts| *attempts);
    log::write(
        log::line("deliver")
            .str("id", &key)
            .str("outcome", delivery.name())
            .opt_int("upstream_status", delivery.status().map(i64::from))
            .int("attempts", i64::from(attempts))
            .bool("recorded", finished.is_ok())
            .int("ms", log::elapsed_ms(started)),
    );
    match (delivery, finished) {
        (Delivery::Delivered { .. } | Delivery::Refused { .. }, Ok(_)) => ack(message),
        (Delivery::Delivered { .. } | Delivery::Refused { .. }, Err(_)) => {
            // The next attempt finds the lease and waits it out; CLOSEM may then see this
            // submission twice, with the same Idempotency-Key.
            retry(message, TROUBLE_DELAY_SECONDS);
        }
        (Delivery::Unavailable { .. }, _) => {
            retry(message, ledger::backoff_seconds(attempts, config.max_delay));
        }
    }
}

/// A message the queue gave up on: mark its submission dead, then let it go.
async fn bury(message: &Message, ledger: &LedgerClient) {
    let Some(key) = key_of(message) else {
        ack(message);
        return;
    };
    match ledger.dead(&key).await {
        Ok(changed) => {
            log::write(
                log::line("dead_letter")
                    .str("id", &key)
                    .bool("marked_dead", changed),
            );
            ack(message);
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
