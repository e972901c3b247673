//! The sandbox inbox: one HTML page listing what the sandbox received, newest first, for people
//! watching a demo. Every value from a request is escaped.

use std::fmt::Write;

use super::store::{Faults, RecordedRequest};

const STYLE: &str = "\
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}\
header{background:#1d2330;color:#fff;padding:14px 24px}\
header h1{font-size:18px;margin:0}header p{margin:4px 0 0;color:#c6cbd6;font-size:13px}\
main{max-width:880px;margin:0 auto;padding:16px 24px}\
article{background:#fff;border:1px solid #dde1e8;border-radius:8px;margin:0 0 14px;padding:12px 16px}\
h2{font-size:15px;margin:0 0 8px;display:flex;gap:10px;flex-wrap:wrap;align-items:baseline}\
.badge{border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600}\
.ok{background:#dcf5e3;color:#125f2b}.refused{background:#fde2e1;color:#8f1d16}\
.fault{background:#fff0c9;color:#7a5500}.meta{color:#5d6678;font-size:12px;font-weight:400}\
table{border-collapse:collapse;width:100%;font-size:14px}\
th,td{text-align:left;padding:4px 8px;border-top:1px solid #eef0f4;vertical-align:top}\
th{width:30%;font-weight:600;color:#3b4456}td{word-break:break-word;white-space:pre-wrap}\
ul{margin:6px 0 0;padding-left:20px;color:#8f1d16}.empty{color:#5d6678}";

/// The whole page. `requests` may come in any order; the page shows the newest first.
pub(super) fn render(requests: &[RecordedRequest], faults: &Faults) -> String {
    let mut page = String::with_capacity(4096);
    page.push_str(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"2\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>CLOSEM sandbox inbox</title><style>",
    );
    page.push_str(STYLE);
    page.push_str("</style></head><body><header><h1>CLOSEM sandbox inbox</h1><p>");
    let _ = write!(
        page,
        "{} request(s) received, newest first; refreshes every 2 s. Faults: {}",
        requests.len(),
        escape(&describe_faults(faults))
    );
    page.push_str("</p></header><main>");
    if requests.is_empty() {
        page.push_str("<p class=\"empty\">Nothing received yet.</p>");
    }
    let mut newest_first: Vec<&RecordedRequest> = requests.iter().collect();
    newest_first.sort_by_key(|request| std::cmp::Reverse(request.seq));
    for request in newest_first {
        render_request(&mut page, request);
    }
    page.push_str("</main></body></html>\n");
    page
}

fn render_request(page: &mut String, recorded: &RecordedRequest) {
    let request = &recorded.arrival;
    let (class, outcome) = match (request.fault, request.accepted) {
        (Some(_), _) => ("fault", "fault"),
        (None, true) => ("ok", "accepted"),
        (None, false) => ("refused", "refused"),
    };
    let status = request
        .status
        .map_or_else(|| "dropped".to_string(), |status| status.to_string());
    let _ = write!(
        page,
        "<article><h2><span>#{seq} {mode}</span>\
         <span class=\"badge {class}\">{status} {outcome}</span>\
         <span class=\"meta\">{time}{id}{fault}</span></h2>",
        seq = recorded.seq,
        mode = escape(request.mode.as_deref().unwrap_or("(no mode)")),
        time = escape(&request.time),
        id = recorded
            .id
            .as_deref()
            .map(|id| format!(" · {}", escape(id)))
            .unwrap_or_default(),
        fault = request
            .fault
            .map(|fault| format!(" · fault {fault}"))
            .unwrap_or_default(),
    );
    if !request.errors.is_empty() {
        page.push_str("<ul>");
        for error in &request.errors {
            let _ = write!(page, "<li>{}</li>", escape(error));
        }
        page.push_str("</ul>");
    }
    page.push_str("<table>");
    for (name, value) in &request.fields {
        let _ = write!(
            page,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(value)
        );
    }
    let _ = write!(
        page,
        "<tr><th>content type</th><td>{}</td></tr><tr><th>api key</th><td>{}</td></tr>",
        escape(request.content_type.as_deref().unwrap_or("(none)")),
        if request.auth_matched {
            "matched"
        } else {
            "missing or wrong"
        }
    );
    if let Some(key) = &request.idempotency_key {
        let _ = write!(
            page,
            "<tr><th>Idempotency-Key</th><td>{}</td></tr>",
            escape(key)
        );
    }
    page.push_str("</table></article>");
}

fn describe_faults(faults: &Faults) -> String {
    let mut orders = Vec::new();
    if faults.down {
        orders.push("down".to_string());
    }
    if faults.lose_answer_next > 0 {
        orders.push(format!(
            "lose the answer of the next {}",
            faults.lose_answer_next
        ));
    }
    if faults.drop_next > 0 {
        orders.push(format!("drop next {}", faults.drop_next));
    }
    if faults.fail_next > 0 {
        orders.push(format!(
            "fail next {} with {}",
            faults.fail_next, faults.fail_next_status
        ));
    }
    if faults.fail_rate > 0.0 {
        orders.push(format!(
            "fail {:.0}% with {}",
            faults.fail_rate * 100.0,
            faults.fail_rate_status
        ));
    }
    if faults.latency_ms > 0 {
        orders.push(format!("latency {} ms", faults.latency_ms));
    }
    if orders.is_empty() {
        "none".to_string()
    } else {
        orders.join(", ")
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub(super) fn escape(text: &str) -> String {
    // `&` first, so that the entities the others add are not escaped again.
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
