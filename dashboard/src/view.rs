//! What the dashboard shows, built from the admin routes' answers: the counts by state and form,
//! the list's rows, one submission's timeline, and the configuration problems of `/health`.
//! Everything is text (dom.rs builds text nodes), so nothing a visitor typed becomes markup.

use web_sys::Element;

use crate::api::{Entry, Health, Listing};
use crate::dom;

/// The states in the order operators read them.
const STATES: [&str; 6] = ["pending", "held", "dead", "spam", "delivered", "refused"];

fn cell(row: &Element, tag: &str, text: &str) -> Option<Element> {
    let cell = dom::element(tag, text)?;
    dom::append(row, &cell);
    Some(cell)
}

/// Counts per state, per form (states and the bots turned away), the form filter's choices,
/// and the "replay every dead letter" button when there are any. Long because it fills the
/// section's three parts in page order, from one listing.
pub(crate) fn counts(listing: &Listing) {
    dom::clear("counts-body");
    if let Some(body) = dom::by_id("counts-body") {
        for state in STATES {
            let Some(row) = dom::element("tr", "") else {
                continue;
            };
            if let Some(head) = cell(&row, "th", state) {
                dom::set_attribute(&head, "scope", "row");
            }
            let n = listing.counts.get(state).copied().unwrap_or(0);
            if let Some(count) = cell(&row, "td", &n.to_string()) {
                dom::set_attribute(&count, "data-state", state);
            }
            dom::append(&body, &row);
        }
    }
    let dead = listing.counts.get("dead").copied().unwrap_or(0);
    dom::show("replay-dead", dead > 0);

    dom::clear("forms-body");
    let mut forms: Vec<&String> = listing.forms.keys().chain(listing.spam.keys()).collect();
    forms.sort();
    forms.dedup();
    if let Some(body) = dom::by_id("forms-body") {
        for form in &forms {
            let Some(row) = dom::element("tr", "") else {
                continue;
            };
            dom::set_attribute(&row, "data-form", form);
            if let Some(head) = cell(&row, "th", form) {
                dom::set_attribute(&head, "scope", "row");
            }
            let states = listing.forms.get(*form);
            for state in STATES {
                let n = states.and_then(|states| states.get(state)).copied();
                cell(&row, "td", &n.unwrap_or(0).to_string());
            }
            let bots = listing
                .spam
                .get(*form)
                .map_or(0, |spam| spam.honeypot + spam.fill_time + spam.turnstile);
            cell(&row, "td", &bots.to_string());
            dom::append(&body, &row);
        }
    }
    if let Some(select) = dom::by_id("filter-form") {
        let chosen = dom::value("filter-form");
        dom::clear("filter-form");
        for form in std::iter::once(&String::new()).chain(forms.iter().copied()) {
            let label = if form.is_empty() { "All forms" } else { form };
            if let Some(option) = dom::element("option", label) {
                dom::set_attribute(&option, "value", form);
                if *form == chosen {
                    dom::set_attribute(&option, "selected", "");
                }
                dom::append(&select, &option);
            }
        }
    }
}

/// The list's rows (replacing the shown ones, or after them for the next page); each id is a
/// button that opens its timeline.
pub(crate) fn rows(entries: &[Entry], replace: bool, open: impl Fn(String) + Clone + 'static) {
    if replace {
        dom::clear("list-body");
    }
    let Some(body) = dom::by_id("list-body") else {
        return;
    };
    if replace && entries.is_empty() {
        if let Some(row) = dom::element("tr", "") {
            if let Some(empty) = cell(&row, "td", "No submissions.") {
                dom::set_attribute(&empty, "colspan", "6");
            }
            dom::append(&body, &row);
        }
        return;
    }
    for entry in entries {
        let Some(row) = dom::element("tr", "") else {
            continue;
        };
        dom::set_attribute(&row, "data-id", &entry.id);
        cell(&row, "td", &dom::time(entry.created_ms));
        if let (Some(td), Some(button)) =
            (dom::element("td", ""), dom::element("button", &entry.id))
        {
            dom::set_attribute(&button, "type", "button");
            dom::set_attribute(&button, "class", "link");
            dom::set_attribute(
                &button,
                "aria-label",
                &["Open the timeline of ", &entry.id].concat(),
            );
            let (open, id) = (open.clone(), entry.id.clone());
            dom::listen(&button, "click", move |_| open(id.clone()));
            dom::append(&td, &button);
            dom::append(&row, &td);
        }
        cell(&row, "td", &entry.form);
        if let Some(state) = cell(&row, "td", &entry.state) {
            dom::set_attribute(&state, "class", &["state state-", &entry.state].concat());
        }
        cell(&row, "td", &entry.attempts.to_string());
        let last = entry
            .last_status
            .map(|status| status.to_string())
            .or_else(|| entry.last_error.clone())
            .unwrap_or_default();
        cell(&row, "td", &last);
        dom::append(&body, &row);
    }
}

fn term(list: &Element, name: &str, value: &str) {
    if let (Some(term), Some(definition)) = (dom::element("dt", name), dom::element("dd", value)) {
        dom::append(list, &term);
        dom::append(list, &definition);
    }
}

/// One submission: what it is, the fields CLOSEM receives, and its timeline, with the action its
/// state allows. Long because it builds the section top to bottom, as it reads.
pub(crate) fn timeline(entry: &Entry) {
    dom::set_text("timeline-title", &["Submission ", &entry.id].concat());
    dom::clear("timeline-body");
    let Some(body) = dom::by_id("timeline-body") else {
        return;
    };
    if let Some(facts) = dom::element("dl", "") {
        term(&facts, "Form", &entry.form);
        term(&facts, "Mode", &entry.mode);
        term(&facts, "State", &entry.state);
        term(&facts, "Attempts", &entry.attempts.to_string());
        if let Some(status) = entry.last_status {
            term(&facts, "CLOSEM's last status", &status.to_string());
        }
        if let Some(trap) = &entry.trap {
            term(&facts, "Caught by", trap);
        }
        dom::append(&body, &facts);
    }
    if let Some(heading) = dom::element("h3", "Fields sent to CLOSEM") {
        dom::append(&body, &heading);
    }
    if entry.fields_dropped {
        if let Some(note) = dom::element("p", "The fields were dropped after the retention period.")
        {
            dom::append(&body, &note);
        }
    } else if let Some(fields) = dom::element("dl", "") {
        dom::set_attribute(&fields, "class", "fields");
        for (name, value) in &entry.fields {
            term(&fields, name, value);
        }
        dom::append(&body, &fields);
    }
    if let Some(heading) = dom::element("h3", "Timeline") {
        dom::append(&body, &heading);
    }
    if let Some(steps) = dom::element("ol", "") {
        dom::set_attribute(&steps, "class", "steps");
        for event in &entry.timeline {
            let mut text = [dom::time(event.at_ms).as_str(), " — ", &event.kind].concat();
            if let Some(status) = event.status {
                text.push_str(&[" (CLOSEM ", &status.to_string(), ")"].concat());
            }
            if let Some(cause) = &event.cause {
                text.push_str(&[", ", cause.as_str()].concat());
            }
            if let Some(step) = dom::element("li", &text) {
                if let Some(excerpt) = event.excerpt.as_deref().filter(|text| !text.is_empty()) {
                    if let Some(quote) = dom::element("code", excerpt) {
                        dom::append(&step, &quote);
                    }
                }
                dom::append(&steps, &step);
            }
        }
        dom::append(&body, &steps);
    }
    let action = match entry.state.as_str() {
        "spam" => "Release from spam",
        "delivered" => "Deliver again…",
        _ => "Replay",
    };
    dom::set_text("timeline-action", action);
}

/// The configuration problems `/health` knows, or that there are none.
pub(crate) fn problems(health: &Health) {
    let mut found: Vec<String> = health
        .problems
        .iter()
        .map(|problem| [problem.binding.as_str(), ": ", &problem.message].concat())
        .collect();
    if let Some(problem) = health
        .deliveries
        .as_ref()
        .filter(|deliveries| deliveries.state != "ok")
        .and_then(|deliveries| deliveries.problem.clone())
    {
        found.push(["Delivery: ", &problem].concat());
    }
    if health
        .rate_limit
        .as_ref()
        .is_some_and(|limit| limit.state == "off")
    {
        found.push(
            "RATE_LIMITER: the binding is missing, so submissions are not rate limited".into(),
        );
    }
    let turnstile_forms = health.forms.iter().any(|form| form.turnstile);
    if turnstile_forms
        && health
            .turnstile
            .as_ref()
            .is_some_and(|turnstile| turnstile.secret != "set")
    {
        found.push("TURNSTILE_SECRET: a form uses Turnstile but the secret is not set".into());
    }
    if health.alerts.as_deref() == Some("off") {
        found.push(
            "ALERT_WEBHOOK_URL: not set, so no one is alerted to dead letters, a refused key or spam"
                .into(),
        );
    }
    show_problems(&health.status, &found);
}

pub(crate) fn problems_unknown(why: &str) {
    show_problems("unknown", &[["/health could not be read: ", why].concat()]);
}

fn show_problems(status: &str, found: &[String]) {
    dom::clear("problem-list");
    dom::set_text(
        "health-status",
        &[
            "Status: ",
            status,
            if found.is_empty() {
                ". No configuration problems."
            } else {
                "."
            },
        ]
        .concat(),
    );
    if let Some(problems) = dom::by_id("problems") {
        dom::set_attribute(
            &problems,
            "class",
            if status == "ok" {
                "problems ok"
            } else {
                "problems bad"
            },
        );
    }
    let Some(list) = dom::by_id("problem-list") else {
        return;
    };
    for problem in found {
        if let Some(item) = dom::element("li", problem) {
            dom::append(&list, &item);
        }
    }
}
