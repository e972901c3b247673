//! The queues: `DELIVERIES` carries one message `{key}` per accepted submission; its consumer
//! delivers each message on its own (one failure never retries the batch), and the queue moves a
//! message that ran out of retries to `closem-deliveries-dlq`, whose consumer (this worker too,
//! told apart by the batch's queue name) marks the submission dead for an operator to replay.
//!
//! Each message asks the ledger first: a submission already delivered or refused is acknowledged
//! without calling CLOSEM, which makes a second delivery of one message harmless; one that another
//! attempt holds is retried after that attempt's lease.

use futures_util::future::join_all;
use serde::Serialize;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage};

use crate::config::Config;
use crate::forward::{self, Delivery};
use crate::idempotency;
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

/// A queue message: only the key; the ledger holds the fields.
#[derive(Serialize)]
pub struct Job<'a> {
    pub key: &'a str,
}

/// Sends the message for `key`. An error means it was not queued.
pub async fn enqueue(env: &Env, key: &str) -> worker::Result<()> {
    env.queue(BINDING)?.send(Job { key }).await
}

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &Env, config: Option<&Config>) {
    let dead_letters = batch.queue() == DEAD_LETTER_QUEUE;
    let ledger = match LedgerClient::open(env) {
        Ok(ledger) => ledger,
        Err(_) => {
            log::event(serde_json::json!({"event": "deliver", "outcome": "ledger_unbound"}));
            for message in batch.raw_iter() {
                retry(&message, TROUBLE_DELAY_SECONDS);
            }
            return;
        }
    };
    let messages: Vec<RawMessage> = batch.raw_iter().collect();
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

/// The key a message carries, if it has the shape of one.
fn key_of(message: &RawMessage) -> Option<String> {
    let key = js_sys::Reflect::get(&message.body(), &"key".into())
        .ok()?
        .as_string()?;
    idempotency::is_key(&key).then_some(key)
}

async fn deliver(message: &RawMessage, ledger: &LedgerClient, config: Option<&Config>) {
    let Some(key) = key_of(message) else {
        log::event(serde_json::json!({"event": "deliver", "outcome": "malformed_message"}));
        message.ack();
        return;
    };
    let Some(config) = config else {
        // The bindings are wrong; /health says why. Keep the message until they are fixed.
        log::event(serde_json::json!({"event": "deliver", "id": key, "outcome": "not_configured"}));
        retry(message, NOT_CONFIGURED_DELAY_SECONDS);
        return;
    };
    let begin = match ledger.begin(&key).await {
        Ok(begin) => begin,
        Err(_) => {
            log::event(
                serde_json::json!({"event": "deliver", "id": key, "outcome": "ledger_error"}),
            );
            retry(message, TROUBLE_DELAY_SECONDS);
            return;
        }
    };
    let (fields, attempts_before) = match begin {
        Begin::Go { fields, attempts } => (fields, attempts),
        Begin::Done { state } => {
            log::event(
                serde_json::json!({"event": "deliver", "id": key, "outcome": "already", "state": state.as_str()}),
            );
            message.ack();
            return;
        }
        Begin::Busy { retry_in_ms } => {
            let seconds = u32::try_from((retry_in_ms + 999) / 1000).unwrap_or(1);
            retry(message, seconds.max(1));
            return;
        }
        Begin::Unknown => {
            log::event(
                serde_json::json!({"event": "deliver", "id": key, "outcome": "unknown_key"}),
            );
            message.ack();
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
        .map_or(attempts_before + 1, |finished| finished.attempts);
    log::event(serde_json::json!({
        "event": "deliver",
        "id": key,
        "outcome": delivery.name(),
        "upstream_status": delivery.status(),
        "attempts": attempts,
        "recorded": finished.is_ok(),
        "ms": (js_sys::Date::now() - started).round(),
    }));
    match (delivery, finished) {
        (Delivery::Delivered { .. } | Delivery::Refused { .. }, Ok(_)) => message.ack(),
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
async fn bury(message: &RawMessage, ledger: &LedgerClient) {
    let Some(key) = key_of(message) else {
        message.ack();
        return;
    };
    match ledger.dead(&key).await {
        Ok(changed) => {
            log::event(
                serde_json::json!({"event": "dead_letter", "id": key, "marked_dead": changed.changed}),
            );
            message.ack();
        }
        Err(_) => retry(message, TROUBLE_DELAY_SECONDS),
    }
}

fn retry(message: &RawMessage, delay_seconds: u32) {
    message.retry_with_options(
        &QueueRetryOptionsBuilder::new()
            .with_delay_seconds(delay_seconds)
            .build(),
    );
}
