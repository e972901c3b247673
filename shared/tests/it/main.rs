//! The crate's integration tests, one binary with a module per area.

#[cfg(feature = "config")]
mod attribution;
mod bytewise;
mod fields;
mod fuzz;
#[cfg(feature = "config")]
mod hints;
mod i18n;
mod parse;
mod phones;
#[cfg(feature = "config")]
mod profile;
mod props;
mod reference;
mod runner;
mod values;
mod wire;

use closem_shared::{Context, Issue, Submission};

/// 2020-09-13T12:26:40Z: before the reference's `04/01/2022 12:30 PM` example.
pub const NOW: i64 = 1_600_000_000;

pub fn ctx() -> Context<'static> {
    Context::utc(NOW)
}

/// One line per outcome: `name=value&...` for a submission, `! code code` for issues.
pub fn render(result: &Result<Submission, Vec<Issue>>) -> String {
    match result {
        Ok(submission) => render_fields(&submission.encode()),
        Err(issues) => render_issues(issues),
    }
}

pub fn render_fields(fields: &[(&str, String)]) -> String {
    let pairs: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    pairs.join("&")
}

/// `! code code ...`; an issue placed on an input whose name differs from the code's field shows
/// as `input@code` (e.g. `your-email@email.format`).
pub fn render_issues(issues: &[Issue]) -> String {
    let codes: Vec<String> = issues
        .iter()
        .map(|issue| {
            let code = issue.code();
            if code.starts_with(&format!("{}.", issue.field)) {
                code
            } else {
                format!("{}@{code}", issue.field)
            }
        })
        .collect();
    format!("! {}", codes.join(" "))
}
