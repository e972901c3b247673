// The widget's page work: it enhances every `form[data-closem]` as soon as the script runs, checks
// controls as the visitor leaves them, submits by fetch, shows what the edge answered and keeps
// the outbox. Every decision (which field a control feeds, whether its value passes, which
// message says why, what an answer means) is the wasm module's (`rules.rs`), asked through
// `ask`: in WebAssembly every DOM call is an import with glue on both sides, while here it is a
// few bytes of minified script.

const READY = "data-closem-ready";
const EVENTS = ["submit", "focusout", "input"];
const BUSY_CLASS = "is-busy";
// Buttons the widget disabled, told apart from ones the site disabled itself.
const DISABLED_BY_WIDGET = "data-closem-disabled";
// Ids of the widget's error elements start with this, which is how a control's own message is
// found again among the site's `aria-describedby` ids, without any state kept on the side.
const ERROR_ID = "closem-e";
// The site's success element, inside the form or beside it (Webflow's `.w-form-done`), and its
// failure element (Webflow's `.w-form-fail`), shown when an answer is not the visitor's to fix.
const SUCCESS = "[data-closem-success],.w-form-done";
const FAILURE = "[data-closem-failure],.w-form-fail";
// Error elements builders already give a control: Bootstrap's `.invalid-feedback` beside it, or
// an element its `aria-describedby` names that is one of these. The widget writes its message
// there instead of adding a second one, and puts the builder's own text back when it clears.
const FEEDBACK = ".invalid-feedback,.wpcf7-not-valid-tip,.wpforms-error,.validation_message,.hs-error-msg,.hs-error-msgs,[data-closem-error],[role=alert]";
// What a builder's error element held before the widget wrote into it.
const SAVED = "closemSaved";
// A form's submit buttons.
const BUTTONS = "button:not([type=button]):not([type=reset]),input[type=submit],input[type=image]";
// The form's properties holding when it was enhanced, and the fields it last sent.
const SHOWN = "closemShown";
const SENT = "closemSent";

let errors = 0;
// The wire contract's names, spelled as `closem_shared::wire` spells them (a test compares every
// `const` here whose name matches one there).
const KEY_FIELD = "_closem_key";
const FILL_TIME_FIELD = "_closem_t";
const KEY_HEADER = "Idempotency-Key";
const HINT_PREFIX = "_closem_field:";
const AUTOCOMPLETE_PREFIX = "_closem_auto:";
const LANG_FIELD = "_closem_lang";
const FIRST_TOUCH_FIELD = "_closem_first";
const LAST_TOUCH_FIELD = "_closem_last";

// Start-up. The script enhances every form at once (`start`), before the wasm is compiled. Until
// the module is ready leaving a field shows nothing, and a submit is held (prevented, remembered)
// and replayed once it is; if it is not ready within `PATIENCE`, or cannot start at all (`fail`),
// every form is released to its native post and held ones are posted natively.
const PATIENCE = 4000;
// Enhanced forms.
const live = new Set();
// Forms submitted before the module was ready.
const held = new Set();
// The module's rules (`rules.rs`) once it is ready; `failed` once it never will be.
let rules, endpoint, failed, timer, started;

/// The rules' answer to a request of lines (the question, then its facts; see `rules.rs`).
function ask(...lines) {
  return rules(lines.join("\n"));
}

// The forms' one listener. Not passive: submit must prevent the native post.
function dispatch(event) {
  const form = event.currentTarget;
  if (event.type == "submit") {
    if (rules) return submit(form, event);
    event.preventDefault();
    held.add(form);
    timer = timer || setTimeout(fail, PATIENCE);
    return;
  }
  const control = target(event);
  if (!rules || !control) return;
  // Leaving a control checks it; while a message shows, typing re-checks, so the message clears
  // as soon as the value is right (no new message appears while typing).
  if (event.type == "focusout") {
    const verdict = check(control, 1);
    if (verdict != "-") render(control, verdict);
  } else if (marked(control)) {
    const verdict = check(control, 1);
    if (verdict == "-") clear(control);
    else render(control, verdict);
  }
}

/// Enhances the page's forms now and as they come (or gain `data-closem`), and releases those that
/// leave the page or lose it. Safe to call again. `from` is the versioned folder's URL, where the
/// other languages' catalogues are.
export function start(from) {
  if (failed || started) return;
  started = 1;
  base = from;
  touch();
  addEventListener("closem:consent", () => touch(1));
  refresh();
  // For the page's lifetime: single-page apps and builders' embeds add forms at any time, and
  // some (HubSpot's) set `data-closem` on a form already on the page.
  new MutationObserver(refresh).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["data-closem"],
  });
}

function refresh() {
  if (failed) return;
  for (const form of live) if (!form.isConnected || !form.hasAttribute("data-closem")) release(form);
  for (const form of document.querySelectorAll("form[data-closem]:not([" + READY + "])")) enhance(form);
}

/// The module is ready: `given` answers the widget's questions from now on, and submits go to
/// `to` (the edge's origin; `https://forms.example/` and without the slash mean the same). The
/// submits held meanwhile are replayed; the outbox is sent when the page is idle, not on the
/// critical path. Called again, it only changes the endpoint.
export function ready(given, to) {
  if (failed) return;
  clearTimeout(timer);
  endpoint = to.replace(/\/+$/, "");
  if (rules) return;
  rules = given;
  start();
  for (const form of held) if (live.has(form)) submit(form, { preventDefault() {} });
  held.clear();
  (window.requestIdleCallback || setTimeout)(retry, { timeout: 2000 });
  addEventListener("online", retry);
}

/// The module cannot start (no WebAssembly, a CSP without 'wasm-unsafe-eval', the network) or
/// took too long: every form goes back to what the site made, and a held submit posts natively.
export function fail(reason) {
  if (rules || failed) return;
  failed = 1;
  console.warn("closem: widget unavailable, forms post natively", reason || "");
  for (const form of live) release(form);
  for (const form of held) HTMLFormElement.prototype.submit.call(form);
}

/// How many forms are enhanced (for tests that forms leaving the page release their listeners).
export function enhanced() {
  return live.size;
}

/// Every `<input>`, `<select>` and `<textarea>` the form owns, in document order (including ones
/// outside it that name it with `form=`).
function controls(form) {
  return [...form.elements].filter(isControl);
}

/// The name a control is sent and reported under: its `name`, or its `id` when it has none (React
/// apps often leave names out), "" when it has neither.
function key(control) {
  return control.name || control.id || "";
}

function isControl(element) {
  return /^(INPUT|SELECT|TEXTAREA)$/.test(element && element.tagName);
}

/// The control an event happened on, if it was one.
function target(event) {
  return isControl(event.target) ? event.target : undefined;
}

/// The verdict of the rules on `control` (see `rules.rs`): "-" when it is not the widget's to
/// check, "" when it passes, else the message's index, English and code, one per line. `leaving`:
/// the visitor is leaving it (a required value still missing is not scolded until a message shows
/// or the form is submitted).
function check(control, leaving) {
  const type = control.type || "";
  let value = control.value || "";
  // A `datetime-local` value is checked and sent as UNIX seconds in the visitor's timezone,
  // which the edge cannot know.
  if (type == "datetime-local" && value) value = localSeconds(value) || value;
  const validity = control.validity;
  const flags =
    (control.disabled ? "d" : "") +
    (control.required ? "r" : "") +
    (validity.valueMissing ? "m" : "") +
    // The site's other constraints (`pattern`, `min`, `maxlength`, `type=url`, ...), which
    // `novalidate` silences but does not switch off.
    (validity.valid ? "" : "i") +
    (leaving && !marked(control) ? "l" : "");
  const form = control.form;
  return ask("check", now(), flags, (form && form.getAttribute("data-closem-phone")) || "", ...facts(control), value);
}

/// What the rules need to know which CLOSEM field a control feeds: its `data-closem-field` hint,
/// name, `autocomplete` token and type.
function facts(control) {
  return [control.getAttribute("data-closem-field") || "", key(control), control.getAttribute("autocomplete") || "", control.type || ""];
}

/// Shows or clears the message a verdict of `check` calls for, and returns the problem (its code
/// and message in the form's language) when there is one.
function render(control, verdict) {
  if (!verdict) return clear(control);
  const [index, english, ...code] = verdict.split("\n");
  const problem = { code: code.join("\n") };
  // No index: a site constraint, in the browser's own words.
  problem.message = index < 0 ? control.validationMessage : say(control, problem.code, index, english);
  show(control, problem.message);
  return problem;
}

/// A form-level message (`form.check`, `network`, ...) in the form's language.
function phrase(form, code) {
  const [index, english] = ask("phrase", code).split("\n");
  return say(form, code, index, english);
}

// The codes of the widget's form-level messages, by which a site overrides them
// (`data-closem-message-form.check`); the last two are the wire's (`closem_shared::wire::code`).
const CHECK_FIELDS = "form.check";
const SENDING = "form.sending";
const FAILED = "form.failed";
const SUCCEEDED = "form.success";
const NETWORK = "network";
const QUEUED = "network.queued";

/// A submit, start to finish: check every control; when all pass, post the form and show that it
/// is sending. The answer comes back through `finish`.
function submit(form, event) {
  // Always: a second click while busy must not fall through to a native post either.
  event.preventDefault();
  if (busy(form)) return;
  const invalid = [];
  const issues = [];
  for (const control of controls(form)) {
    const verdict = check(control, 0);
    // Only the edge reports on these (e.g. a control field on a strict profile); its message
    // from the last attempt is stale now.
    if (verdict == "-") {
      clear(control);
      continue;
    }
    const name = key(control);
    // A radio group is one question: one message, on its first radio.
    if (invalid.some((seen) => key(seen) == name)) continue;
    const problem = render(control, verdict);
    if (problem) {
      // Codes name the CLOSEM field, as the edge's do (`email.format` for `your-email`).
      issues.push(issue(name, problem.code, problem.message));
      invalid.push(control);
    }
  }
  if (invalid.length) {
    invalid[0].focus();
    status(form, phrase(form, CHECK_FIELDS));
    return fire(form, "closem:error", { status: 0, issues });
  }
  const body = data(form);
  setBusy(form, true);
  status(form, phrase(form, SENDING));
  fire(form, "closem:submit", null);
  post(form, body);
}

/// What the edge answered (`answer`: its status, 0 when none came, and parsed body) means for
/// the submission: the outbox entry is forgotten when the answer is final, kept to send again, or
/// parked until a new challenge when Turnstile refused it; then the form that sent it, if still on
/// the page, shows the answer. The answer's keys are the wire's (`closem_shared::wire::answer`).
function finish(answer) {
  const body = answer.body;
  const issues = body && typeof body.issues == "object" && body.issues ? body.issues : [];
  const items = Array.isArray(issues) ? issues : [];
  const codes = items.map((item) => item && item.code).filter((code) => typeof code == "string");
  const disposition = ask("disposition", answer.status, body && body.ok === true ? 1 : 0, ...codes);
  const retrying = disposition == "retry";
  if (disposition == "rechallenge") park(answer);
  else if (!retrying) forget(answer);
  const form = answer.form;
  if (!form || !form.isConnected) return;
  setBusy(form, false);
  if (retrying && (answer.kept || !answer.status)) {
    // A retry's form already says what happened the first time.
    if (!answer.retry) {
      const code = answer.kept ? QUEUED : NETWORK;
      const text = phrase(form, code);
      status(form, text);
      fire(form, "closem:error", { status: answer.status, issues: [issue(null, code, text)] });
    }
    return;
  }
  if (disposition == "accepted") {
    // Fired before the form leaves the page, while the event can still bubble to document.
    fire(form, "closem:success", { id: body.id });
    return success(form, phrase(form, SUCCEEDED));
  }
  problems(form, answer.status, issues, items);
}

/// Puts each of the answer's problems on its control (or, when it names none, in the status
/// line), focuses the first control at fault, and fires `closem:error`.
function problems(form, answered, issues, items) {
  const all = controls(form);
  const formLevel = [];
  let first;
  for (const item of items) {
    // The edge wrote it in the visitor's language; the site's own words for its code win.
    const code = string(item, "code");
    const message = say(form, code, -1, string(item, "message"));
    const control = controlFor(all, string(item, "field"));
    if (control) {
      show(control, message);
      first = first || control;
    } else {
      formLevel.push(message);
    }
  }
  status(form, formLevel.join("; ") || phrase(form, first ? CHECK_FIELDS : FAILED));
  if (first) first.focus();
  fire(form, "closem:error", { status: answered, issues });
}

/// A string property of an answer's item, "" when it is not one.
function string(item, name) {
  const value = item && typeof item == "object" ? item[name] : undefined;
  return typeof value == "string" ? value : "";
}

/// The control an edge issue is about: the edge names the input as it was sent (the site's own
/// name), or a CLOSEM field (a profile's `required` field the form has under a hinted name).
function controlFor(all, field) {
  if (!field) return;
  const byName = all.find((control) => key(control) == field);
  if (byName) return byName;
  const wanted = ask("field", field, "", "", "");
  return wanted ? all.find((control) => ask("field", ...facts(control)) == wanted) : undefined;
}

function div(className, text) {
  const element = document.createElement("div");
  element.className = className;
  element.textContent = text;
  return element;
}

/// Marks the form, silences the browser's bubbles (the widget shows its own messages), gives it
/// its live region, its Turnstile challenge if it asks for one, and the widget's one listener. Not
/// passive: submit must prevent the native post. The time is kept for the fill time `post` sends.
function enhance(form) {
  live.add(form);
  language(form);
  form.setAttribute(READY, "");
  form[SAVED] = form.noValidate;
  form.noValidate = true;
  form[SHOWN] = Date.now();
  region(form);
  challenge(form);
  for (const kind of EVENTS) form.addEventListener(kind, dispatch);
}

// Cloudflare Turnstile, for forms marked `data-closem-turnstile="<site key>"`: the challenge goes
// into the form's own `.cf-turnstile` element (where the site can set `data-action` and the rest),
// or a new one before the submit button, and Turnstile's script is loaded once, only for such
// forms. Turnstile adds the `cf-turnstile-response` field that the edge verifies.
const TURNSTILE = "cf-turnstile";
// Boxes waiting for the script; undefined until it is asked for.
let waiting;

function challenge(form) {
  const key = form.getAttribute("data-closem-turnstile");
  let box = form.querySelector("." + TURNSTILE);
  if (!key || (box && box.firstChild)) return;
  if (!box) {
    box = div(TURNSTILE, "");
    box.setAttribute("data-sitekey", key);
    (form.querySelector(BUTTONS) || region(form)).before(box);
  }
  if (window.turnstile) return renderChallenge(box);
  if (!waiting) {
    waiting = [];
    const script = document.createElement("script");
    script.src = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";
    script.onload = () => waiting.forEach(renderChallenge);
    document.head.append(script);
  }
  waiting.push(box);
}

function renderChallenge(box) {
  box.w = turnstile.render(box);
}

/// A token is spent once the edge has checked it: after a refusal (not a 422, which the edge
/// answers before checking) the form's challenge starts again for a fresh one.
function rechallenge(form, status) {
  const box = form && form.querySelector("." + TURNSTILE);
  if (box && box.w != null && status > 299 && status != 422) turnstile.reset(box.w);
}

/// Undoes `enhance` when the form leaves the page or loses `data-closem`, so a form put back is
/// enhanced anew, and one that is no longer a CLOSEM form posts as the site made it.
function release(form) {
  live.delete(form);
  for (const kind of EVENTS) form.removeEventListener(kind, dispatch);
  form.removeAttribute(READY);
  form.noValidate = !!form[SAVED];
}

/// The form's one polite live region: the site's own `.closem-status` if it placed one, else a
/// new one at the end of the form. It must exist before it speaks, or nothing is announced.
function region(form) {
  let region = form.querySelector(".closem-status");
  if (!region) {
    region = div("closem-status", "");
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    form.append(region);
  }
  return region;
}

function status(form, text) {
  region(form).textContent = text;
}

function describedBy(control) {
  return (control.getAttribute("aria-describedby") || "").split(/[\t\n\f\r ]+/).filter(Boolean);
}

/// Where the control's message goes: the widget's own element or a builder's error element that
/// the control's `aria-describedby` names, else Bootstrap's `.invalid-feedback` beside it.
function slot(control) {
  for (const id of describedBy(control)) {
    const element = document.getElementById(id);
    if (element && (id.startsWith(ERROR_ID) || element.matches(FEEDBACK))) return element;
  }
  const parent = control.parentElement;
  return parent && parent.querySelector(":scope > .invalid-feedback");
}

/// True while the control shows one of the widget's messages.
function marked(control) {
  return control.getAttribute("aria-invalid") == "true";
}

/// Shows `message` right after the control (or after the label wrapping it, so it is not read as
/// part of the control's name), tied to it with `aria-invalid` and `aria-describedby`; the site's
/// own hints stay.
function show(control, message) {
  control.setAttribute("aria-invalid", "true");
  let error = slot(control);
  if (!error) {
    error = div("closem-error", "");
    error.id = ERROR_ID + ++errors;
    (control.closest("label") || control).after(error);
    link(control, describedBy(control).concat(error.id));
  } else if (!error.matches(".closem-error") && !error[SAVED]) {
    // A builder's element: keep what it was, show it, and tie it to the control.
    const linked = describedBy(control).includes(error.id);
    error[SAVED] = { text: error.textContent, hidden: error.hidden, display: error.style.display, linked };
    error.hidden = false;
    if (error.matches(".invalid-feedback")) control.classList.add("is-invalid");
    else if (getComputedStyle(error).display == "none") error.style.display = "block";
    if (!error.id) error.id = ERROR_ID + "b" + ++errors;
    if (!linked) link(control, describedBy(control).concat(error.id));
  }
  error.textContent = message;
}

function link(control, ids) {
  if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
  else control.removeAttribute("aria-describedby");
}

function clear(control) {
  control.removeAttribute("aria-invalid");
  const error = slot(control);
  const saved = error && error[SAVED];
  if (saved) {
    // A builder's element, as it was.
    error.textContent = saved.text;
    error.hidden = saved.hidden;
    error.style.display = saved.display;
    control.classList.remove("is-invalid");
    delete error[SAVED];
    if (saved.linked) return;
  } else if (error && error.matches(".closem-error")) {
    error.remove();
  } else {
    return;
  }
  link(control, describedBy(control).filter((id) => id != error.id));
}

/// The form's `aria-busy` is the one flag that a request is running.
function busy(form) {
  return form.getAttribute("aria-busy") == "true";
}

/// Busy forms cannot be sent twice: their submit buttons are disabled meanwhile.
function setBusy(form, busy) {
  if (busy) form.setAttribute("aria-busy", "true");
  else form.removeAttribute("aria-busy");
  form.classList.toggle(BUSY_CLASS, busy);
  for (const button of form.querySelectorAll(BUTTONS)) {
    if (busy && !button.hasAttribute("disabled")) {
      button.setAttribute("disabled", "");
      button.setAttribute(DISABLED_BY_WIDGET, "");
    } else if (!busy && button.hasAttribute(DISABLED_BY_WIDGET)) {
      button.removeAttribute("disabled");
      button.removeAttribute(DISABLED_BY_WIDGET);
    }
  }
}

/// Replaces the form with the site's `[data-closem-success]` element (inside the form, or next to
/// it as Webflow's `.w-form-done` is), shown however it was hidden (attribute, inline style or
/// stylesheet), or with a default message; focus follows, because the button that had it is gone.
function success(form, text) {
  const parent = form.parentElement;
  let message = form.querySelector(SUCCESS) || (parent && parent.querySelector(SUCCESS));
  if (message) {
    message.removeAttribute("hidden");
    message.style.removeProperty("display");
    if (getComputedStyle(message).display == "none") message.style.display = "block";
  } else {
    message = div("", text);
  }
  message.classList.add("closem-success");
  if (!message.hasAttribute("role")) message.setAttribute("role", "status");
  message.setAttribute("tabindex", "-1");
  form.replaceWith(message);
  message.focus();
}

/// Fires `name` on the form, bubbling so a listener on `document` hears every form.
/// The site's failure element (Webflow's `.w-form-fail`) shows when an answer is not the visitor's to
/// fix (no answer, 5xx, a refusal other than 422) and hides on the next submit.
function fire(form, name, detail) {
  const parent = form.parentElement;
  const failure = form.querySelector(FAILURE) || (parent && parent.querySelector(FAILURE));
  if (failure && name != "closem:success") {
    const shown =
      name == "closem:error" &&
      (detail.status ? detail.status != 422 : detail.issues.some((issue) => /^network/.test(issue.code)));
    failure.style.display = shown ? "block" : "none";
  }
  // Google Tag Manager and GA4 count confirmed leads (only a 2xx the edge recorded fires
  // `closem:success`), on forms that ask for it.
  if (name == "closem:success" && form.hasAttribute("data-closem-datalayer")) {
    (window.dataLayer = window.dataLayer || []).push({ event: "generate_lead", form_id: form.getAttribute("data-closem"), submission_id: detail.id });
  }
  form.dispatchEvent(new CustomEvent(name, { bubbles: true, detail }));
}

/// One issue as the edge writes it, `field` null for the whole form.
function issue(field, code, message) {
  return { field: field == null ? null : field, code, message };
}

/// The form's fields as the browser would post them (multipart `FormData`), plus the controls it
/// leaves out for having no `name`, under their `id`. Each control the widget knows more of than its
/// name also carries a hint for the edge: `_closem_field:<name>` with its `data-closem-field` and
/// `_closem_auto:<name>` with its `autocomplete` token (the edge decides which one counts).
function data(form) {
  const data = new FormData(form);
  for (const control of controls(form)) {
    const name = key(control);
    if (!name || control.disabled) continue;
    if (!control.name && control.id && !/^(submit|reset|button|image)$/.test(control.type)) {
      if (control.type == "file") for (const file of control.files) data.append(name, file);
      else if (control.multiple && control.options) for (const option of control.selectedOptions) data.append(name, option.value);
      else if (!/^(checkbox|radio)$/.test(control.type) || control.checked) data.append(name, control.value);
    }
    // What the widget sends differs from the native post in one way only: `datetime-local` values
    // become UNIX seconds, since only the browser knows the visitor's timezone. Names stay the
    // site's own: the edge's profile `fields` map is authoritative.
    if (control.type == "datetime-local" && control.value) data.set(name, localSeconds(control.value) || control.value);
    const hint = control.getAttribute("data-closem-field");
    const auto = control.getAttribute("autocomplete");
    if (hint && !data.has(HINT_PREFIX + name)) data.append(HINT_PREFIX + name, hint);
    if (auto && !data.has(AUTOCOMPLETE_PREFIX + name)) data.append(AUTOCOMPLETE_PREFIX + name, auto);
  }
  data.set(LANG_FIELD, language(form));
  const touches = form.getAttribute(ATTRIBUTION) != "off" && touched();
  if (touches) {
    data.set(FIRST_TOUCH_FIELD, touches.f);
    data.set(LAST_TOUCH_FIELD, touches.l);
  }
  return data;
}

// Messages in the form's language: the form's `data-closem-lang`, else the nearest `lang`, when it
// is one of these (the languages of `closem_shared::Lang`, which a test compares); English, built
// into the module, otherwise. The others' catalogues load on demand from the versioned folder, as
// arrays in `closem_shared::Text` order.
const LANGS = ["en", "es", "fr", "de", "pt"];
const catalogues = {};
let base;

function language(form) {
  const tag = (form.getAttribute("data-closem-lang") || (form.closest("[lang]") || form).lang || "").toLowerCase().split(/[-_]/)[0];
  if (!LANGS.includes(tag)) return "en";
  if (tag != "en" && base && !catalogues[tag]) {
    catalogues[tag] = [];
    fetch(new URL("i18n/" + tag + ".json", base)).then((response) => response.json()).then((texts) => (catalogues[tag] = texts), () => {});
  }
  return tag;
}

/// A message: the site's `data-closem-message-<code>` on the form (of a control), else entry
/// `index` of the form's language's catalogue, else `text`.
function say(node, code, index, text) {
  const form = node.form || node;
  return form.getAttribute("data-closem-message-" + code) || (catalogues[language(form)] || [])[index] || text;
}

// Campaign attribution: the visit's first and last touch (campaign parameters, the referring host,
// the landing path, the time) in localStorage for at most 90 days from the first, sent with each
// submission. Nothing is recorded while an element of the page says `data-closem-attribution="off"`,
// nor, where one says "consent", until the page fires `closem:consent` on window.
const ATTRIBUTION = "data-closem-attribution";
const TOUCH = "closem:touch";
const TOUCH_LIFE = 7776e6;
const CAMPAIGN = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "msclkid"];

function touched() {
  try {
    const touches = JSON.parse(localStorage.getItem(TOUCH));
    if (touches.t > Date.now() - TOUCH_LIFE) return touches;
  } catch (_) {}
}

function touch(consented) {
  const gate = document.querySelector("[" + ATTRIBUTION + "=off],[" + ATTRIBUTION + "=consent]");
  const said = gate && gate.getAttribute(ATTRIBUTION);
  if (said == "off" || (said == "consent" && !consented)) return;
  const params = new URLSearchParams(location.search);
  const now = new URLSearchParams();
  for (const name of CAMPAIGN) if (params.get(name)) now.set(name, params.get(name).slice(0, 150));
  const from = document.referrer && new URL(document.referrer).host;
  if (from && from != location.host) now.set("ref", from);
  if (![...now].length) return;
  now.set("path", location.pathname);
  now.set("at", Math.floor(Date.now() / 1000));
  const touches = touched() || { f: "" + now, t: Date.now() };
  touches.l = "" + now;
  try {
    localStorage.setItem(TOUCH, JSON.stringify(touches));
  } catch (_) {}
}

// The outbox: submissions not yet answered for good, kept in localStorage so a lost connection or
// a closed tab loses no lead. Each is written before it is sent and removed once the edge answers
// for good, so the next page load of the site can send it again, with the same idempotency key.
const OUTBOX = "closem:outbox";
const WEEK = 6048e5;
// Keys with a request running: an entry is never sent twice at once.
const flying = {};
// Key -> the form whose submission it names, on this page: the form reuses its key until the edge
// has answered for good, and shows what a retry's answer was.
const owners = {};

/// The entries still worth sending (a week old at most), or none when storage is unavailable or
/// holds something else.
function load() {
  try {
    return JSON.parse(localStorage.getItem(OUTBOX)).filter((entry) => entry.key && entry.fields.map && entry.time > Date.now() - WEEK);
  } catch (_) {
    return [];
  }
}

/// Keeps the newest 20 entries, quietly doing nothing where storage is unavailable or full.
function save(entries) {
  try {
    localStorage.setItem(OUTBOX, JSON.stringify(entries.slice(-20)));
  } catch (_) {}
}

/// `POST {endpoint}/f/{form id}` with `data`, asking for JSON and naming the submission with its
/// idempotency key (`Idempotency-Key` header and `_closem_key` field), which the form keeps until
/// the edge answers for good, for as long as its fields stay the same: one key never names two
/// different submissions (the edge refuses that), so an edit after a lost answer is a new
/// submission, with a new key, replacing the old one in the outbox. The submission goes into the
/// outbox first.
function post(form, data) {
  const id = form.getAttribute("data-closem") || "";
  let key = Object.keys(owners).find((key) => owners[key] == form);
  const sent = JSON.stringify(kept(data));
  if (key && form[SENT] != sent) {
    forget({ key });
    key = 0;
  }
  form[SENT] = sent;
  key = key || uuid();
  owners[key] = form;
  data.set(KEY_FIELD, key);
  // The fill time: milliseconds from enhancing to sending, by this browser's clock alone, so a
  // wrong clock cannot make a visitor look like a bot. The edge drops posts below the profile's
  // `min_fill_ms`.
  data.set(FILL_TIME_FIELD, Date.now() - form[SHOWN]);
  const entry = {
    key,
    url: endpoint + "/f/" + encodeURIComponent(id),
    form: id,
    fields: kept(data),
    time: Date.now(),
  };
  save(load().filter((old) => old.key != key).concat([entry]));
  send(entry, data);
}

/// The fields of a submission as the outbox keeps them and as its key names them: values as
/// strings, never a Turnstile token (single-use, it expires in minutes and changes every attempt).
function kept(data) {
  return [...data].filter(([name]) => !/^cf-turnstile/.test(name)).map(([name, value]) => [name, String(value)]);
}

function uuid() {
  // randomUUID exists in secure contexts only; over plain http, 128 random bits as four numbers.
  return crypto.randomUUID ? crypto.randomUUID() : crypto.getRandomValues(new Uint32Array(4)).join("-");
}

/// The answer goes to `finish`: the HTTP status and the parsed body (`null` when there was none),
/// or status 0 when no answer came (network, CORS); the key; whether this was a retry; whether the
/// entry is (still) in the outbox; and the form, while it is on the page.
function send(entry, body, retry) {
  const key = entry.key;
  const done = (status, body) => {
    delete flying[key];
    const form = owners[key];
    rechallenge(form, status);
    finish({ form, status, body, key, retry, kept: load().some((entry) => entry.key == key) });
  };
  flying[key] = 1;
  fetch(entry.url, { method: "POST", body, headers: { Accept: "application/json", [KEY_HEADER]: key } }).then(
    (response) =>
      response.json().then(
        (body) => done(response.status, body),
        () => done(response.status, null),
      ),
    () => done(0, null),
  );
}

/// Removes the submission an answer was for, the edge having answered for good; its form makes a
/// new key for the next one.
function forget({ key }) {
  delete owners[key];
  save(load().filter((entry) => entry.key != key));
}

/// Parks the submission an answer was for: kept, but not sent again by itself, since Turnstile
/// wants a new challenge first (its form's challenge restarts; the next submit replaces it).
function park({ key }) {
  save(load().map((entry) => (entry.key == key ? Object.assign(entry, { parked: 1 }) : entry)));
}

/// Sends every entry of the outbox that is not on its way already (nor parked), each with its own
/// key: what an earlier page of the site left there once the page is idle, and everything whenever
/// the browser is back online (a listener as long-lived as the page, like the document observer).
function retry() {
  for (const entry of load()) {
    if (flying[entry.key] || entry.parked) continue;
    const body = new FormData();
    for (const [name, value] of entry.fields) body.append(name, value);
    const form = owners[entry.key];
    if (form && form.isConnected) setBusy(form, true);
    send(entry, body, true);
  }
}

/// Now, in whole UNIX seconds.
function now() {
  return Math.floor(Date.now() / 1000);
}

/// A `datetime-local` value (`2030-06-01T09:30`) read in the visitor's timezone, as UNIX seconds;
/// nothing before 1970, which cannot be an appointment (the shared check reports the raw value).
function localSeconds(value) {
  const seconds = Math.floor(new Date(value).getTime() / 1000);
  return seconds >= 0 ? String(seconds) : undefined;
}
