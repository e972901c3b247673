//! The DOM events a site's analytics listen to, fired on the form and bubbling to `document`:
//! `closem:submit`, `closem:success` (`{id}`) and `closem:error` (`{status, issues}`).

use wasm_bindgen::JsValue;

use crate::dom::{self, Form};

/// A valid submission is on its way to the edge.
pub(crate) fn submit(form: &Form) {
    form.dispatch("closem:submit", &JsValue::NULL);
}

/// The edge accepted the submission; `id` is its submission id.
pub(crate) fn success(form: &Form, id: &JsValue) {
    let detail = dom::object();
    dom::set(&detail, "id", id);
    form.dispatch("closem:success", &detail);
}

/// The submission was not accepted. `status` is the edge's HTTP status, or 0 when no answer
/// came: problems found in the browser (nothing was sent) or a network failure.
pub(crate) fn error(form: &Form, status: u16, issues: &JsValue) {
    let detail = dom::object();
    dom::set(&detail, "status", &JsValue::from(status));
    dom::set(&detail, "issues", issues);
    form.dispatch("closem:error", &detail);
}

/// One issue as the edge writes it: `{field, code, message}`, `field` null for the whole form.
pub(crate) fn issue(field: Option<&str>, code: &str, message: &str) -> JsValue {
    dom::issue(field, code, message)
}
