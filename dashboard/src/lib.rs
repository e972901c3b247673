//! The operators' dashboard, served at `GET /admin` from the worker's static assets: a page that
//! holds no data (`static/admin.html`) and this small wasm app, which asks the admin JSON routes
//! for everything with the operator token as the bearer token. The token is typed once per tab
//! and kept in `sessionStorage` (never a cookie, so no cross-site request can act with it).
//!
//! `api.rs` speaks to the routes (gloo-net, serde-wasm-bindgen), `dom.rs` touches the page, and
//! this file is the flow: sign in, counts, the filtered and paginated list, one submission's
//! timeline, and the actions (replay, release from spam, erase a person), each confirmed first.

mod api;
mod dom;
mod view;

use std::cell::RefCell;

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::spawn_local;

use api::ApiError;

/// An action waiting for the operator's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    /// One submission back to pending (a release when it is spam; a second delivery when it
    /// was delivered).
    Replay { id: String, include_delivered: bool },
    /// Every submission in a state (dead letters, quarantined spam).
    ReplayAll { state: String },
    /// Every submission of one person.
    Erase { kind: &'static str, value: String },
}

#[derive(Default)]
struct State {
    token: Option<String>,
    /// The cursor of the next page of the list.
    next: Option<String>,
    /// The submission whose timeline is shown, and its state.
    open: Option<(String, String)>,
    pending: Option<Action>,
    /// The control that asked for the pending action, to return focus to.
    asked_from: Option<String>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn token() -> Option<String> {
    STATE.with(|state| state.borrow().token.clone())
}

/// Wires every control of the static page once (long: one line per control reads like the page's
/// list of controls), then signs in with the tab's token if it has one.
#[wasm_bindgen(start)]
pub fn start() {
    dom::on("login", "submit", |_| {
        let typed = dom::value("token").trim().to_string();
        if typed.is_empty() {
            dom::set_text("login-error", "type the operator token");
            dom::focus("token");
            return;
        }
        dom::set_value("token", "");
        sign_in(typed);
    });
    dom::on("sign-out", "click", |_| sign_out(""));
    dom::on("filter", "submit", |_| {
        spawn_local(async {
            load_list(false).await;
        })
    });
    dom::on("more", "click", |_| {
        spawn_local(async {
            load_list(true).await;
        })
    });
    dom::on("refresh", "click", |_| spawn_local(refresh()));
    dom::on("replay-dead", "click", |_| {
        ask(
            Action::ReplayAll {
                state: "dead".into(),
            },
            "replay-dead",
        )
    });
    dom::on("erase", "submit", |_| erase_asked());
    dom::on("confirm-yes", "click", |_| confirmed());
    dom::on("confirm-no", "click", |_| cancel());
    dom::on("confirm", "keydown", |event| {
        if dom::is_escape(&event) {
            cancel();
        }
    });
    dom::on("timeline-action", "click", |_| {
        let open = STATE.with(|state| state.borrow().open.clone());
        if let Some((id, state)) = open {
            let include_delivered = state == "delivered";
            ask(
                Action::Replay {
                    id,
                    include_delivered,
                },
                "timeline-action",
            );
        }
    });
    dom::on("timeline-close", "click", |_| {
        STATE.with(|state| state.borrow_mut().open = None);
        dom::show("timeline", false);
        dom::focus("list-title");
    });
    match dom::stored_token() {
        Some(token) => sign_in(token),
        None => show_login(""),
    }
}

fn show_login(error: &str) {
    dom::show("dashboard", false);
    dom::show("sign-out", false);
    dom::show("login", true);
    dom::set_text("login-error", error);
    dom::focus("token");
}

fn sign_in(token: String) {
    dom::store_token(&token);
    STATE.with(|state| state.borrow_mut().token = Some(token));
    dom::set_text("status", "Loading the dashboard…");
    spawn_local(async {
        if load_list(false).await {
            dom::show("login", false);
            dom::show("dashboard", true);
            dom::show("sign-out", true);
            dom::focus("dashboard-title");
            load_health().await;
        }
    });
}

/// Forgets the token and everything shown (the page holds no data without it).
fn sign_out(error: &str) {
    dom::forget_token();
    STATE.with(|state| *state.borrow_mut() = State::default());
    for id in [
        "counts-body",
        "forms-body",
        "list-body",
        "problem-list",
        "timeline-body",
    ] {
        dom::clear(id);
    }
    dom::show("timeline", false);
    dom::show("confirm", false);
    dom::set_text("status", if error.is_empty() { "Signed out." } else { "" });
    show_login(error);
}

/// What a failed call means for the page: a refused token signs out.
fn failed(error: &ApiError) {
    match error {
        ApiError::Unauthorized | ApiError::Disabled => sign_out(&error.describe()),
        other => dom::set_text("status", &other.describe()),
    }
}

/// Loads the counts and the first page of the list (or the next page, `more`); whether it
/// worked.
async fn load_list(more: bool) -> bool {
    let Some(token) = token() else {
        return false;
    };
    let before = if more {
        STATE.with(|state| state.borrow().next.clone())
    } else {
        None
    };
    let state_filter = dom::value("filter-state");
    let form_filter = dom::value("filter-form");
    match api::list(&token, &state_filter, &form_filter, before.as_deref()).await {
        Ok(listing) => {
            view::counts(&listing);
            view::rows(&listing.submissions, !more, |id| {
                spawn_local(open_timeline(id));
            });
            dom::show("more", listing.next.is_some());
            let shown = listing.submissions.len();
            STATE.with(|state| state.borrow_mut().next = listing.next.clone());
            let filters = [state_filter.as_str(), form_filter.as_str()]
                .iter()
                .filter(|filter| !filter.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let what = if filters.is_empty() {
                String::new()
            } else {
                [" (", &filters, ")"].concat()
            };
            let verb = if more {
                "More submissions: "
            } else {
                "Listed "
            };
            dom::set_text(
                "status",
                &[verb, &submissions(shown as u64), &what, "."].concat(),
            );
            true
        }
        Err(error) => {
            failed(&error);
            false
        }
    }
}

async fn load_health() {
    match api::health().await {
        Ok(health) => view::problems(&health),
        Err(error) => view::problems_unknown(&error.describe()),
    }
}

async fn refresh() {
    load_list(false).await;
    load_health().await;
    let open = STATE.with(|state| state.borrow().open.clone());
    if let Some((id, _)) = open {
        show_timeline(&id, false).await;
    }
}

async fn open_timeline(id: String) {
    show_timeline(&id, true).await;
}

async fn show_timeline(id: &str, focus: bool) {
    let Some(token) = token() else {
        return;
    };
    match api::timeline(&token, id).await {
        Ok(entry) => {
            STATE.with(|state| {
                state.borrow_mut().open = Some((entry.id.clone(), entry.state.clone()));
            });
            view::timeline(&entry);
            dom::show("timeline", true);
            if focus {
                dom::focus("timeline-title");
            }
        }
        Err(error) => failed(&error),
    }
}

/// Shows what `action` will do and waits for Confirm or Cancel.
fn ask(action: Action, from: &str) {
    let (question, button) = match &action {
        Action::Replay {
            id,
            include_delivered: true,
        } => (
            [
                "Deliver ",
                id,
                " to CLOSEM again? It was delivered already: CLOSEM will receive it twice.",
            ]
            .concat(),
            "Deliver again",
        ),
        Action::Replay { id, .. } => (
            [
                "Send ",
                id,
                " to CLOSEM again? It goes back to pending and is delivered by the queue.",
            ]
            .concat(),
            "Replay",
        ),
        Action::ReplayAll { state } => (
            [
                "Replay every submission in state ",
                state,
                "? Each goes back to pending and is delivered by the queue.",
            ]
            .concat(),
            "Replay all",
        ),
        Action::Erase { kind, value } => (
            [
                "Erase every submission of the ",
                kind,
                " ",
                value,
                " on every shard? This cannot be undone.",
            ]
            .concat(),
            "Erase",
        ),
    };
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        state.pending = Some(action);
        state.asked_from = Some(from.to_string());
    });
    dom::set_text("confirm-text", &question);
    dom::set_text("confirm-yes", button);
    dom::show("confirm", true);
    dom::focus("confirm-yes");
}

fn cancel() {
    let from = STATE.with(|state| {
        let mut state = state.borrow_mut();
        state.pending = None;
        state.asked_from.take()
    });
    dom::show("confirm", false);
    dom::set_text("status", "Cancelled.");
    if let Some(from) = from {
        dom::focus(&from);
    }
}

fn confirmed() {
    let (action, from) = STATE.with(|state| {
        let mut state = state.borrow_mut();
        (state.pending.take(), state.asked_from.take())
    });
    dom::show("confirm", false);
    let (Some(action), Some(token)) = (action, token()) else {
        return;
    };
    spawn_local(async move {
        let said = match &action {
            Action::Replay {
                id,
                include_delivered,
            } => api::replay(&token, id, *include_delivered)
                .await
                .map(|queued| replayed_message(&queued, id)),
            Action::ReplayAll { state } => api::replay_state(&token, state).await.map(|queued| {
                [
                    "Replayed ",
                    &queued.len().to_string(),
                    " submissions: they are pending again.",
                ]
                .concat()
            }),
            Action::Erase { kind, value } => api::erase(&token, kind, value)
                .await
                .map(|erased| ["Erased ", &submissions(erased), " of ", value, "."].concat()),
        };
        match said {
            Ok(message) => {
                if matches!(action, Action::Erase { .. }) {
                    dom::set_value("erase-who", "");
                }
                refresh().await;
                // After the refresh, whose own message would hide this one.
                dom::set_text("status", &message);
            }
            Err(error) => failed(&error),
        }
        if let Some(from) = from {
            dom::focus(&from);
        }
    });
}

/// `1 submission`, `2 submissions`.
fn submissions(n: u64) -> String {
    let noun = if n == 1 {
        " submission"
    } else {
        " submissions"
    };
    [n.to_string().as_str(), noun].concat()
}

fn replayed_message(queued: &[String], id: &str) -> String {
    if queued.iter().any(|queued| queued == id) {
        ["Replayed ", id, ": it is pending and goes to CLOSEM next."].concat()
    } else {
        ["Nothing replayed: ", id, " is delivered or gone."].concat()
    }
}

/// Checks the person to erase with shared/'s own parsers (the edge checks again) and asks.
fn erase_asked() {
    let typed = dom::value("erase-who").trim().to_string();
    let checked = if typed.is_empty() {
        Err("type the person's email or phone")
    } else if typed.contains('@') {
        closem_shared::Email::parse(&typed)
            .map(|email| ("email", email.as_str().to_string()))
            .map_err(|kind| closem_shared::message(Some(closem_shared::Field::Email), kind))
    } else {
        closem_shared::Phone::parse(&typed)
            .map(|phone| ("phone", phone.as_str().to_string()))
            .map_err(|kind| closem_shared::message(Some(closem_shared::Field::Phone), kind))
    };
    match checked {
        Ok((kind, value)) => {
            dom::set_text("erase-error", "");
            dom::set_attribute_of("erase-who", "aria-invalid", "false");
            ask(Action::Erase { kind, value }, "erase-submit");
        }
        Err(message) => {
            dom::set_text("erase-error", message);
            dom::set_attribute_of("erase-who", "aria-invalid", "true");
            dom::focus("erase-who");
        }
    }
}
