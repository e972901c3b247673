//! Bodies are read within the limit (issue 11): with or without `Content-Length`, the edge reads
//! at most the limit plus one byte before its 413, so a 100 MB chunked body leaves the isolate
//! healthy while valid leads posted at the same time are accepted.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::blocking::Body;

use crate::edge_support::{client, send, shared, unique_email, Reply};

/// The edge's body limit (edge/src/body/mod.rs).
const LIMIT: usize = 64 * 1024;

/// `len` bytes of a urlencoded body, `email=...` first and `padN=aaa...` fields after, each under
/// the edge's 8 KB value limit.
fn body_of(email: &str, len: usize) -> Vec<u8> {
    let mut body = format!("email={}", email.replace('@', "%40")).into_bytes();
    let mut n = 0;
    while body.len() < len {
        let head = format!("&pad{n}=");
        let room = len - body.len();
        if room <= head.len() {
            body.extend(std::iter::repeat_n(b'a', room));
            break;
        }
        let value = (room - head.len()).min(7_000);
        body.extend_from_slice(head.as_bytes());
        body.extend(std::iter::repeat_n(b'a', value));
        n += 1;
    }
    body
}

/// Posts `body` chunked (no Content-Length), asking for JSON.
fn post_chunked(body: impl Read + Send + 'static) -> Result<Reply, reqwest::Error> {
    let edge = shared();
    client()
        .post(edge.url("/f/plain"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(Body::new(body))
        .send()
        .map(|response| {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.text().unwrap_or_default();
            Reply {
                status,
                headers,
                body,
            }
        })
}

#[test]
fn a_chunked_body_at_the_limit_is_read_and_one_byte_more_is_413() {
    let email = unique_email("limit");
    let at_limit = body_of(&email, LIMIT);
    assert_eq!(at_limit.len(), LIMIT);
    let reply = post_chunked(std::io::Cursor::new(at_limit)).expect("an answer");
    reply.assert_delivered();
    let over = body_of(&unique_email("limit-over"), LIMIT + 1);
    let reply = post_chunked(std::io::Cursor::new(over)).expect("an answer");
    reply.assert_issues(413, &["body.too_large"]);
    // Declared too large: refused before reading.
    let edge = shared();
    let declared = send(
        client()
            .post(edge.url("/f/plain"))
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body_of(&unique_email("limit-declared"), LIMIT + 1)),
    );
    declared.assert_issues(413, &["body.too_large"]);
}

/// 100 MB of one endless field, counting what the edge pulled.
struct Flood {
    left: u64,
    sent: Arc<AtomicU64>,
}

impl Read for Flood {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let n = buffer
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        buffer[..n].fill(b'a');
        if self.left == 100 * 1024 * 1024 {
            buffer[..6.min(n)].copy_from_slice(&b"notes="[..6.min(n)]);
        }
        self.left -= n as u64;
        self.sent.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn a_100_mb_chunked_body_is_refused_while_valid_leads_beside_it_are_accepted() {
    let edge = shared();
    let sent = Arc::new(AtomicU64::new(0));
    let flood = {
        let sent = Arc::clone(&sent);
        std::thread::spawn(move || {
            post_chunked(Flood {
                left: 100 * 1024 * 1024,
                sent,
            })
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let leads: Vec<_> = (0..4)
        .map(|worker| {
            std::thread::spawn(move || {
                (0..5)
                    .map(|n| {
                        let email = unique_email(&format!("beside-flood-{worker}-{n}"));
                        shared()
                            .post("plain", &[("email", &email)])
                            .assert_delivered();
                        email
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let emails: Vec<String> = leads
        .into_iter()
        .flat_map(|lead| lead.join().expect("every lead accepted"))
        .collect();
    match flood.join().expect("the flood's thread") {
        // Refused as soon as the limit was passed...
        Ok(reply) => reply.assert_issues(413, &["body.too_large"]),
        // ...or the connection closed on the rest of the upload after the 413.
        Err(error) => assert!(!error.is_timeout(), "{error}"),
    }
    let pulled = sent.load(Ordering::Relaxed);
    eprintln!("the flood: {pulled} bytes left the client");
    assert!(
        pulled < 100 * 1024 * 1024,
        "the whole body was read: {pulled}"
    );
    for email in &emails {
        edge.forwarded(email);
    }
    edge.send(client().get(edge.url("/health")))
        .assert_status(200);
    let log = edge.worker.log();
    assert!(
        !log.contains("Exceeded Memory"),
        "the isolate ran out of memory"
    );
}
