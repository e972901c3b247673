//! `POST /f/{form id}` and `OPTIONS /f/{form id}`: check the origin and the client's rate, read
//! the body within its limit, let the form's profile turn it into a CLOSEM submission (or every
//! problem with it), give it its idempotency key and shard, keep bots' submissions in quarantine
//! (spam.rs: honeypot, fill time) with an ordinary-looking answer, verify its Turnstile token when
//! the profile asks (turnstile.rs), record it in its ledger shard, and answer. Success means
//! "durably recorded": one ledger call while the visitor waits; the shard's alarm puts it on the
//! queue afterwards, and CLOSEM is called by the queue's consumer (queue.rs).

use std::cell::Cell;

use closem_shared::wire::LANG_FIELD;
use closem_shared::{
    Accepted, Context, Issue, Lang, PhoneRule, Profile, Referral, Submission, Text,
};
use worker::{Env, Request, Response};

use crate::body::{self, BodyError, LIMITS};
use crate::config::Config;
use crate::cors;
use crate::idempotency::{self, Source};
use crate::js;
use crate::json;
use crate::ledger::shard::{self, SubmissionId};
use crate::ledger::{self, LedgerClient, NewSubmission, Recorded, SpamMark};
use crate::log;
use crate::ratelimit::{self, Limit};
use crate::respond::{respond, ClientProblem, Reply, VisitorAnswer};
use crate::spam::{self, Trap};
use crate::turnstile::{self, Failure, Verdict};

/// What the router learnt about the request before the body is read.
pub(crate) struct Incoming<'a> {
    pub form_id: &'a str,
    pub origin: Option<String>,
    pub own_origin: String,
    pub wants_json: bool,
    pub back: Option<String>,
    /// The `Idempotency-Key` header, if the client sent one.
    pub idempotency_key: Option<String>,
    /// The `CF-Connecting-IP` header: the client, for rate limiting and Turnstile.
    pub client_ip: Option<String>,
    /// The language `Accept-Language` prefers (the widget's `_closem_lang` field overrides it).
    pub lang: Lang,
}

/// `POST /f/{form id}` as a pipeline of named steps. Each step either hands the next one what
/// it needs or ends the request with a [`VisitorAnswer`] it has already logged: one `submit` log line
/// per outcome, written where that outcome is decided.
pub(crate) async fn handle_submit(
    mut req: Request,
    env: &Env,
    config: &Config,
    incoming: &Incoming<'_>,
) -> worker::Result<Response> {
    let profile = config.forms.get(incoming.form_id);
    let mut reply = Reply {
        wants_json: incoming.wants_json,
        cors_origin: cors::echoed_origin(incoming.origin.as_deref(), profile),
        back: incoming.back.as_deref(),
        lang: incoming.lang,
    };
    let Some(profile) = profile else {
        return respond(VisitorAnswer::NotFound, &reply);
    };
    let post = Post {
        env,
        config,
        incoming,
        profile,
        form_id: incoming.form_id,
        lang: Cell::new(incoming.lang),
    };
    let outcome = match post.run(&mut req).await {
        Ok(outcome) | Err(outcome) => outcome,
    };
    reply.lang = post.lang.get();
    respond(outcome, &reply)
}

/// A step's result: `Err` is the outcome that ends the request, already logged.
type Step<T> = Result<T, VisitorAnswer>;

/// One visitor's post to a known form, and what every step reads.
struct Post<'a> {
    env: &'a Env,
    config: &'a Config,
    incoming: &'a Incoming<'a>,
    profile: &'a Profile,
    form_id: &'a str,
    /// The visitor's language: `Accept-Language`'s, until the body names the widget's.
    lang: Cell<Lang>,
}

/// The fields the edge takes out before the profile sees the post: never forwarded.
struct Reserved {
    /// The client's idempotency key as a field (a native post cannot set headers).
    key: Option<String>,
    /// The widget's fill time, for the trap.
    fill_time: Option<String>,
    /// Turnstile's token: Turnstile's, not the visitor's.
    token: Option<String>,
}

impl Post<'_> {
    // The awaits stay in this one future, between synchronous named steps: each async step of
    // its own adds a future's state machine and drop glue to the bundle (issue 15 measured it).
    async fn run(&self, req: &mut Request) -> Step<VisitorAnswer> {
        self.check_origin()?;
        // Before the body is read, so a flood costs little.
        let client = ratelimit::client_key(self.form_id, self.incoming.client_ip.as_deref());
        let fingerprint = log::fingerprint(&client);
        self.within_rate(ratelimit::check(self.env, self.config.rate_limiter, client).await)?;
        let started = js_sys::Date::now();
        let mut pairs = read_fields(req)
            .await
            .map_err(|error| bad_body(self.form_id, &error))?;
        let reserved = Reserved {
            key: take_field(&mut pairs, idempotency::KEY_FIELD),
            fill_time: take_field(&mut pairs, spam::FILL_TIME_FIELD),
            token: take_field(&mut pairs, turnstile::TOKEN_FIELD),
        };
        self.take_lang(&mut pairs);
        let trap = spam::trapped(self.profile.spam(), &pairs, reserved.fill_time.as_deref());
        let now = (js_sys::Date::now() / 1000.0) as i64;
        let accepted = match (self.validate(&pairs, now), trap) {
            (Ok(accepted), _) => accepted,
            // A bot's invalid post has nothing deliverable to keep: only counted, and answered
            // with the ordinary success.
            (Err(_), Some(trap)) => {
                count(self.env, self.config, self.form_id, trap).await;
                return Err(bot_answer(self.form_id, trap, random_id(), self.profile));
            }
            (Err(issues), None) => return Err(self.invalid(&issues)),
        };
        let (fields, source) = self.key_source(&accepted, reserved.key.as_deref(), now)?;
        let (email, phone) = contact_of(&accepted.submission);
        let identity = (
            keys(source).await,
            ledger::contact_digest("email", email).await,
            ledger::contact_digest("phone", phone).await,
        );
        let (keys, submission) =
            self.new_submission(identity, fields, &accepted, trap, fingerprint)?;
        if let Some(trap) = trap {
            let ledger = LedgerClient::open(self.env, keys.shard(self.config.shards));
            let (kept, hour_count) = match ledger {
                Ok(ledger) => match ledger.record_spam(&submission).await {
                    Ok((recorded, hour_count)) => (Some(recorded), hour_count),
                    Err(_) => (None, None),
                },
                Err(_) => (None, None),
            };
            crate::alert::spam_counted(
                self.config.alerts.as_ref(),
                self.config.shards,
                self.form_id,
                hour_count,
            );
            return Ok(self.quarantined(trap, kept));
        }
        self.verify_turnstile(reserved.token.as_deref(), &keys, &submission)
            .await?;
        let (recorded, calls) = record(self.env, self.config, &keys, submission).await;
        Ok(self.recorded(recorded, calls, &accepted, started))
    }

    /// The widget's `_closem_lang` field, taken out (never forwarded): the answer's language
    /// when it names one the edge speaks.
    fn take_lang(&self, pairs: &mut Vec<(String, String)>) {
        if let Some(lang) = take_field(pairs, LANG_FIELD).and_then(|tag| Lang::from_tag(&tag)) {
            self.lang.set(lang);
        }
    }

    /// The profile's problems with the post, in the visitor's language.
    fn invalid(&self, issues: &[Issue]) -> VisitorAnswer {
        invalid(
            self.form_id,
            issues,
            self.profile.phone_rule(),
            self.lang.get(),
        )
    }

    fn check_origin(&self) -> Step<()> {
        let origin = self.incoming.origin.as_deref();
        if cors::origin_permitted(origin, &self.incoming.own_origin, self.profile) {
            return Ok(());
        }
        log_outcome(self.form_id, "origin_forbidden");
        Err(VisitorAnswer::OriginForbidden)
    }

    /// The rate limiter's word on this post.
    fn within_rate(&self, limit: Limit) -> Step<()> {
        match limit {
            Limit::Allowed => {}
            Limit::Limited => {
                log_outcome(self.form_id, "rate_limited");
                return Err(VisitorAnswer::RateLimited {
                    retry_after: self.config.rate_limit_period,
                });
            }
            // Not an outcome: the post goes on unlimited, and operators learn why.
            Limit::Off(reason) if self.config.rate_limiter => log::write(
                log::line("rate_limit_off")
                    .str("form", self.form_id)
                    .str("reason", reason),
            ),
            Limit::Off(_) => {}
        }
        Ok(())
    }

    /// The profile's verdict on the fields.
    fn validate(&self, pairs: &[(String, String)], now: i64) -> Result<Accepted, Vec<Issue>> {
        let resolve = |local| self.config.zone.resolve(local);
        let context = Context {
            now,
            resolve_local: &resolve,
            phone: PhoneRule::NorthAmerican,
        };
        // A native post's page (the widget sends the visit's touches itself).
        let referral = Referral {
            referer: self
                .incoming
                .back
                .clone()
                .filter(|_| !self.incoming.wants_json),
        };
        self.profile.accept_from(pairs, &context, &referral)
    }

    /// The canonical fields and where the idempotency key comes from (the client's, checked,
    /// or derived from the fields).
    fn key_source(
        &self,
        accepted: &Accepted,
        key_field: Option<&str>,
        now: i64,
    ) -> Step<(Vec<(String, String)>, Source)> {
        let fields: Vec<(String, String)> = accepted
            .submission
            .encode()
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect();
        match idempotency::source(
            self.form_id,
            self.incoming.idempotency_key.as_deref(),
            key_field,
            &fields,
            now,
        ) {
            Ok(source) => Ok((fields, source)),
            Err(_) => Err(bad_key(self.form_id)),
        }
    }

    /// The row the ledger records, from the key and the contact digests (`None` where the
    /// runtime's digest failed).
    fn new_submission(
        &self,
        identity: (Option<Keys>, Option<Option<String>>, Option<Option<String>>),
        fields: Vec<(String, String)>,
        accepted: &Accepted,
        trap: Option<Trap>,
        client: String,
    ) -> Step<(Keys, NewSubmission)> {
        let (Some(keys), Some(email), Some(phone)) = identity else {
            log_outcome(self.form_id, "digest_failed");
            return Err(VisitorAnswer::Unavailable);
        };
        let shard = keys.shard(self.config.shards);
        let submission = NewSubmission {
            id: keys.id_in(shard),
            also: keys.also_in(shard),
            form: self.form_id.to_string(),
            mode: accepted.submission.mode().as_str().to_string(),
            fields,
            email,
            phone,
            insert: true,
            spam: trap.map(|trap| SpamMark { trap, client }),
        };
        Ok((keys, submission))
    }

    /// Bots get an ordinary success so they learn nothing; the submission is kept in quarantine
    /// (within its bounds, `kept` says how it went) for an operator to release, never forwarded
    /// by itself.
    fn quarantined(&self, trap: Trap, kept: Option<Recorded>) -> VisitorAnswer {
        let id = match kept {
            Some(Recorded::New { id } | Recorded::Found { id }) => id,
            Some(Recorded::Counted) => random_id(),
            _ => {
                log::write(
                    log::line("count_failed")
                        .str("form", self.form_id)
                        .str("trap", trap.as_str()),
                );
                random_id()
            }
        };
        bot_answer(self.form_id, trap, id, self.profile)
    }

    /// Verifies the Turnstile token when the profile has a site key.
    async fn verify_turnstile(
        &self,
        token: Option<&str>,
        keys: &Keys,
        submission: &NewSubmission,
    ) -> Step<()> {
        if self.profile.spam().turnstile_site_key.is_none() {
            return Ok(());
        }
        let hostnames = turnstile::expected_hostnames(self.profile, &self.incoming.own_origin);
        let check = turnstile::Check {
            token,
            remote_ip: self.incoming.client_ip.as_deref(),
            key: &keys.key,
            hostnames: &hostnames,
            action: self.profile.spam().turnstile_action.as_deref(),
        };
        match turnstile::verify(self.config, &check).await {
            Verdict::Passed => Ok(()),
            Verdict::Failed(failure) => {
                // An outbox retry of a submission already recorded carries a token that has
                // expired or was spent by the first post: it was verified then, so the ledger
                // answers (one lookup, on this path only). Anything else needs a new challenge.
                if let Some(id) = recorded_before(self.env, self.config, keys, submission).await {
                    log_outcome(self.form_id, "resubmitted_after_turnstile");
                    return Err(success(id, self.profile));
                }
                count(self.env, self.config, self.form_id, Trap::Turnstile).await;
                Err(turnstile_failed(self.form_id, &failure))
            }
            Verdict::Unavailable(reason) => {
                log::write(
                    log::line("submit")
                        .str("form", self.form_id)
                        .str("outcome", "turnstile_unavailable")
                        .str("reason", reason),
                );
                Err(VisitorAnswer::Unavailable)
            }
        }
    }

    /// The log line of the one durable write, and the answer that follows from it.
    fn recorded(
        &self,
        recorded: Result<Recorded, &'static str>,
        calls: u32,
        accepted: &Accepted,
        started: f64,
    ) -> VisitorAnswer {
        log_recorded(
            self.form_id,
            &recorded,
            &accepted.submission,
            accepted.ignored.len(),
            calls,
            started,
        );
        match recorded {
            Ok(Recorded::New { id } | Recorded::Found { id }) => success(id, self.profile),
            Ok(Recorded::Conflict { .. }) => VisitorAnswer::Invalid {
                status: 409,
                problems: vec![ClientProblem {
                    field: Some(idempotency::KEY_FIELD.to_string()),
                    code: closem_shared::wire::code::KEY_REUSED.to_string(),
                    message: self.lang.get().text(Text::KeyReused).to_string(),
                }],
            },
            Ok(Recorded::Absent | Recorded::Counted) | Err(_) => VisitorAnswer::Unavailable,
        }
    }
}

/// The success a visitor (or a bot) sees: the id, and the profile's thank-you page if any.
fn success(id: String, profile: &Profile) -> VisitorAnswer {
    VisitorAnswer::Accepted {
        id,
        redirect: profile.redirect().map(str::to_string),
    }
}

/// A submission's key, the previous bucket's key for derived ones, and the seed of its shard.
struct Keys {
    key: String,
    also: Vec<String>,
    seed: u64,
}

impl Keys {
    fn shard(&self, shards: u16) -> u16 {
        shard::jump(self.seed, shards)
    }

    /// The submission id of the key in `shard`.
    fn id_in(&self, shard: u16) -> String {
        SubmissionId::new(shard, &self.key).text()
    }

    /// The submission ids of the other keys (the previous bucket's) in `shard`.
    fn also_in(&self, shard: u16) -> Vec<String> {
        self.also
            .iter()
            .map(|key| SubmissionId::new(shard, key).text())
            .collect()
    }
}

/// `None` if the runtime's digest failed.
async fn keys(source: Source) -> Option<Keys> {
    match source {
        Source::Client(preimage) => {
            let digest = idempotency::digest(&preimage).await?;
            Some(Keys {
                key: idempotency::key_from_digest(&digest),
                also: Vec::new(),
                seed: shard::seed_of(&digest),
            })
        }
        Source::Derived {
            current,
            previous,
            shard: seed_preimage,
        } => {
            let seed = idempotency::digest(&seed_preimage).await?;
            let current = idempotency::digest(&current).await?;
            let previous = idempotency::digest(&previous).await?;
            Some(Keys {
                key: idempotency::key_from_digests(&seed, &current),
                also: vec![idempotency::key_from_digests(&seed, &previous)],
                seed: shard::seed_of(&seed),
            })
        }
    }
}

/// The id of this very submission (same key, same fields) if its shard has it already.
async fn recorded_before(
    env: &Env,
    config: &Config,
    keys: &Keys,
    submission: &NewSubmission,
) -> Option<String> {
    let ledger = LedgerClient::open(env, keys.shard(config.shards)).ok()?;
    let lookup = NewSubmission {
        insert: false,
        ..submission.clone()
    };
    match ledger.record(&lookup).await {
        Ok(Recorded::Found { id }) => Some(id),
        _ => None,
    }
}

/// Counts a bot turned away whose post is not kept, best effort: the answer does not depend on
/// it. Counted on shard 0, where operators read the counters with the rest.
async fn count(env: &Env, config: &Config, form_id: &str, trap: Trap) {
    let counted = match LedgerClient::open(env, 0) {
        Ok(ledger) => ledger.count(form_id, trap).await,
        Err(_) => Err(ledger::Unavailable),
    };
    let counted = match counted {
        Ok(hour_count) => {
            crate::alert::spam_counted(config.alerts.as_ref(), config.shards, form_id, hour_count);
            true
        }
        Err(_) => false,
    };
    if !counted {
        log::write(
            log::line("count_failed")
                .str("form", form_id)
                .str("trap", trap.as_str()),
        );
    }
}

/// The ordinary-looking success a bot gets, logged as spam.
fn bot_answer(form_id: &str, trap: Trap, id: String, profile: &Profile) -> VisitorAnswer {
    log::write(
        log::line("submit")
            .str("form", form_id)
            .str("outcome", "spam")
            .str("trap", trap.as_str())
            .str("id", &id),
    );
    success(id, profile)
}

/// Records the submission on its shard (or finds it, for a resubmission): one ledger call, whose
/// answer leaves the object once the row is durable; the object's alarm queues it afterwards.
/// While `LEDGER_SHARDS_PREVIOUS` names an older count and the key's shard moved, the old shard is
/// asked first, so a submission recorded before the change is found. Answers the ledger calls
/// made, for the log.
async fn record(
    env: &Env,
    config: &Config,
    keys: &Keys,
    submission: NewSubmission,
) -> (Result<Recorded, &'static str>, u32) {
    let mut calls = 0;
    if let Some(previous) = config.previous_shards {
        let old = keys.shard(previous);
        if old != keys.shard(config.shards) {
            let lookup = NewSubmission {
                id: keys.id_in(old),
                also: keys.also_in(old),
                insert: false,
                ..submission.clone()
            };
            let Ok(ledger) = LedgerClient::open(env, old) else {
                return (Err("ledger_unbound"), calls);
            };
            let found = ledger.record(&lookup).await;
            calls += ledger.calls();
            match found {
                Ok(Recorded::Absent) => {}
                Ok(found) => return (Ok(found), calls),
                Err(_) => return (Err("ledger_error"), calls),
            }
        }
    }
    let Ok(ledger) = LedgerClient::open(env, keys.shard(config.shards)) else {
        return (Err("ledger_unbound"), calls);
    };
    let recorded = ledger.record(&submission).await;
    calls += ledger.calls();
    (recorded.map_err(|_| "ledger_error"), calls)
}

pub(crate) fn handle_preflight(
    config: &Config,
    incoming: &Incoming<'_>,
) -> worker::Result<Response> {
    match config.forms.get(incoming.form_id) {
        Some(profile) => cors::preflight(incoming.origin.as_deref(), profile),
        None => respond(
            VisitorAnswer::NotFound,
            &Reply {
                wants_json: incoming.wants_json,
                cors_origin: None,
                back: None,
                lang: incoming.lang,
            },
        ),
    }
}

/// Reads the body within [`LIMITS`]: a declared oversize body is refused before any of it is
/// read, and any other is read chunk by chunk, at most the limit plus one byte, so a huge body
/// without `Content-Length` (chunked) never sits in the isolate's memory.
async fn read_fields(req: &mut Request) -> Result<Vec<(String, String)>, BodyError> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|length| length.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > LIMITS.body_bytes as u64) {
        return Err(BodyError::TooLarge);
    }
    let content_type = req.headers().get("Content-Type").ok().flatten();
    let bytes = match req.inner().body() {
        None => Vec::new(),
        Some(stream) => match js::read_stream(&stream.into(), LIMITS.body_bytes).await {
            js::Read::Whole(bytes) => bytes,
            js::Read::Over(_) => return Err(BodyError::TooLarge),
            js::Read::Broken(_) => {
                return Err(BodyError::BrokenMultipart("the body could not be read"))
            }
        },
    };
    body::parse(content_type.as_deref(), &bytes)
}

/// Logs a submission's outcome that needs no more than its name.
fn log_outcome(form_id: &str, outcome: &str) {
    log::write(
        log::line("submit")
            .str("form", form_id)
            .str("outcome", outcome),
    );
}

fn bad_body(form_id: &str, error: &BodyError) -> VisitorAnswer {
    log::write(
        log::line("submit")
            .str("form", form_id)
            .str("outcome", "bad_body")
            .str("code", error.code()),
    );
    VisitorAnswer::Invalid {
        status: error.status(),
        problems: vec![ClientProblem {
            field: error.field().map(str::to_string),
            code: error.code().to_string(),
            message: error.message(),
        }],
    }
}

fn invalid(form_id: &str, issues: &[Issue], phone: PhoneRule, lang: Lang) -> VisitorAnswer {
    let codes: Vec<String> = issues.iter().map(Issue::code).collect();
    log::write(
        log::line("submit")
            .str("form", form_id)
            .str("outcome", "invalid")
            .raw("codes", &json::strings(codes.iter().map(String::as_str))),
    );
    VisitorAnswer::Invalid {
        status: 422,
        problems: issues
            .iter()
            .map(|issue| problem(issue, lang, phone))
            .collect(),
    }
}

fn bad_key(form_id: &str) -> VisitorAnswer {
    log_outcome(form_id, "bad_key");
    VisitorAnswer::Invalid {
        status: 400,
        problems: vec![ClientProblem {
            field: Some(idempotency::KEY_FIELD.to_string()),
            code: closem_shared::wire::code::KEY_INVALID.to_string(),
            message: format!(
                "the idempotency key must be 1 to {} visible ASCII characters",
                idempotency::MAX_CLIENT_KEY
            ),
        }],
    }
}

fn turnstile_failed(form_id: &str, failure: &Failure) -> VisitorAnswer {
    let codes = match failure {
        Failure::Rejected(codes) => json::strings(codes.iter().map(String::as_str)),
        _ => json::strings([]),
    };
    log::write(
        log::line("submit")
            .str("form", form_id)
            .str("outcome", "turnstile_failed")
            .str("reason", failure.name())
            .raw("codes", &codes),
    );
    VisitorAnswer::TurnstileFailed {
        missing: *failure == Failure::Missing,
    }
}

/// The log line of a submission that reached the ledger (or failed to).
fn log_recorded(
    form_id: &str,
    outcome: &Result<Recorded, &'static str>,
    submission: &Submission,
    ignored: usize,
    ledger_calls: u32,
    started: f64,
) {
    let (email, phone) = contact_of(submission);
    let email = email.map(log::fingerprint);
    let phone = phone.map(log::fingerprint);
    log::write(
        log::line("submit")
            .str("form", form_id)
            .opt_str(
                "id",
                match outcome {
                    Ok(
                        Recorded::New { id } | Recorded::Found { id } | Recorded::Conflict { id },
                    ) => Some(id.as_str()),
                    _ => None,
                },
            )
            .str("mode", submission.mode().as_str())
            .str(
                "outcome",
                match outcome {
                    Ok(Recorded::New { .. }) => "recorded",
                    Ok(Recorded::Found { .. }) => "resubmitted",
                    Ok(Recorded::Conflict { .. }) => "key_reused",
                    Ok(Recorded::Absent | Recorded::Counted) => "ledger_error",
                    Err(step) => step,
                },
            )
            .opt_str("email", email.as_deref())
            .opt_str("phone", phone.as_deref())
            .int("ignored", i64::try_from(ignored).unwrap_or(i64::MAX))
            .int("ledger_calls", i64::from(ledger_calls))
            .int("ms", log::elapsed_ms(started)),
    );
}

/// An issue as the visitor reads it: in their language, under the form's phone rule.
fn problem(issue: &Issue, lang: Lang, phone: PhoneRule) -> ClientProblem {
    ClientProblem {
        field: Some(issue.field.clone()),
        code: issue.code(),
        message: lang.text(issue.text(phone)).to_string(),
    }
}

/// The visitor's own email and phone, for fingerprints in the log.
fn contact_of(submission: &Submission) -> (Option<&str>, Option<&str>) {
    match submission {
        Submission::AddContact(add) => (
            add.contact.email.as_ref().map(|email| email.as_str()),
            add.contact.phone.as_ref().map(|phone| phone.as_str()),
        ),
        Submission::RunSequence(run) => (
            run.targets
                .contact_emails
                .first()
                .map(|email| email.as_str()),
            run.targets
                .contact_phones
                .first()
                .map(|phone| phone.as_str()),
        ),
        Submission::ScheduleAppointment(appointment) => (
            appointment
                .targets
                .contact_emails
                .first()
                .map(|email| email.as_str()),
            appointment
                .targets
                .contact_phones
                .first()
                .map(|phone| phone.as_str()),
        ),
    }
}

/// Removes every `name` field and returns the first one's value.
fn take_field(pairs: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let first = pairs
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.clone());
    pairs.retain(|(field, _)| field != name);
    first
}

/// An id for answers that record nothing (spam), shaped like a real one so a bot cannot tell:
/// `k` and 32 hex digits of `crypto.randomUUID()`, which the runtime has.
fn random_id() -> String {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok();
    let uuid = crypto
        .and_then(|crypto| {
            let function = js_sys::Reflect::get(&crypto, &"randomUUID".into()).ok()?;
            let function: &js_sys::Function = wasm_bindgen::JsCast::dyn_ref(&function)?;
            function.call0(&crypto).ok()?.as_string()
        })
        .unwrap_or_else(|| format!("{:032x}", js_sys::Date::now() as u64));
    let hex: String = uuid
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(32)
        .collect();
    format!("k{hex:0>32}")
}
