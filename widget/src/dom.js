// The widget's DOM plumbing, bound by dom.rs. Each function here replaces a run of web-sys calls:
// in WebAssembly every DOM call is an import with glue on both sides, while here it is a few
// bytes of minified script. Decisions (what to check, what to send, which message) stay in Rust.

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

// Start-up. The script enhances every form at once (`start`), before the wasm is compiled: the
// forms' listeners are this file's `dispatch`, which hands events to the widget's handler once
// `ready` gives it one. Until then leaving a field shows nothing, and a submit is held (prevented,
// remembered) and replayed when the module is ready; if it is not ready within `PATIENCE`, or
// cannot start at all (`fail`), every form is released to its native post and held ones are posted
// natively.
const PATIENCE = 4000;
// Enhanced forms.
const live = new Set();
// Forms submitted before the module was ready.
const held = new Set();
// The widget's handler once the module is ready; `failed` once it never will be.
let handler, failed, timer, started;

function dispatch(event) {
  if (handler) return handler(event);
  if (event.type != "submit") return;
  event.preventDefault();
  held.add(event.currentTarget);
  timer = timer || setTimeout(fail, PATIENCE);
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

/// The module is ready: `widget` (guarded) handles every event from now on, starting with the
/// submits held meanwhile; the outbox is sent when the page is idle, not on the critical path.
export function ready(widget) {
  if (failed) return;
  clearTimeout(timer);
  handler = guard(widget);
  start();
  // After `boot` has returned, so the widget knows its endpoint when it handles them.
  Promise.resolve().then(() => {
    for (const form of held) if (live.has(form)) handler({ type: "submit", currentTarget: form, target: form, preventDefault() {} });
    held.clear();
  });
  (window.requestIdleCallback || setTimeout)(() => outbox(handler), { timeout: 2000 });
  return handler;
}

/// The module cannot start (no WebAssembly, a CSP without 'wasm-unsafe-eval', the network) or
/// took too long: every form goes back to what the site made, and a held submit posts natively.
export function fail(reason) {
  if (handler || failed) return;
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
export function controls(form) {
  return [...form.elements].filter(isControl);
}

/// The name a control is sent and reported under: its `name`, or its `id` when it has none (React
/// apps often leave names out), "" when it has neither.
export function key(control) {
  return control.name || control.id || "";
}

/// Wraps the widget's one handler so that it is never entered while it runs. The page fires
/// `focusout` synchronously when the widget moves focus or removes the focused form, and a
/// wasm-bindgen closure that is re-entered throws "closure invoked recursively". Such a call waits
/// until the handler returns; a submit is prevented at once, since its default cannot wait, and a
/// DOM event keeps what the handler reads of it, which the browser clears once dispatch ends.
function guard(handler) {
  let running = 0;
  let waiting = [];
  return function (event) {
    if (running) {
      if (event && event.type == "submit") event.preventDefault();
      waiting.push(
        event && event instanceof Event
          ? { type: event.type, target: event.target, currentTarget: event.currentTarget, preventDefault() {} }
          : event,
      );
      return;
    }
    running = 1;
    try {
      handler(event);
      while (waiting.length) handler(waiting.shift());
    } finally {
      running = 0;
      waiting = [];
    }
  };
}

function isControl(element) {
  return /^(INPUT|SELECT|TEXTAREA)$/.test(element && element.tagName);
}

/// The control an event happened on, if it was one.
export function target(event) {
  return isControl(event.target) ? event.target : undefined;
}

export function prevent(event) {
  event.preventDefault();
}

export function object() {
  return {};
}

export function list(items) {
  return items;
}

/// A string property (`name`, `value`, `type`, an event's `type`), "" when absent.
export function text(object, name) {
  const value = object[name];
  return value == null ? "" : String(value);
}

/// A property as a flag (`disabled`, `required`, `isConnected`).
export function flag(object, name) {
  return !!object[name];
}

export function prop(object, name) {
  return object != null && typeof object == "object" ? object[name] : undefined;
}

export function put(object, name, value) {
  object[name] = value;
}

export function attr(element, name) {
  return element.getAttribute(name);
}

/// The browser's own `required` check, which knows radio groups, checkboxes and selects.
export function missing(control) {
  return control.validity.valueMissing;
}

/// The browser's message for the site's other constraints (`pattern`, `min`, `maxlength`,
/// `type=url`, ...), which `novalidate` silences but does not switch off.
export function problem(control) {
  return control.validity.valid ? undefined : control.validationMessage;
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
  if (window.turnstile) return render(box);
  if (!waiting) {
    waiting = [];
    const script = document.createElement("script");
    script.src = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";
    script.onload = () => waiting.forEach(render);
    document.head.append(script);
  }
  waiting.push(box);
}

function render(box) {
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

export function status(form, text) {
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
export function marked(control) {
  return control.getAttribute("aria-invalid") == "true";
}

/// Shows `message` right after the control (or after the label wrapping it, so it is not read as
/// part of the control's name), tied to it with `aria-invalid` and `aria-describedby`; the site's
/// own hints stay.
export function show(control, message) {
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

export function clear(control) {
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
export function busy(form) {
  return form.getAttribute("aria-busy") == "true";
}

/// Busy forms cannot be sent twice: their submit buttons are disabled meanwhile.
export function setBusy(form, busy) {
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
export function success(form, text) {
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

export function focus(element) {
  element.focus();
}

/// Fires `name` on the form, bubbling so a listener on `document` hears every form.
/// The site's failure element (Webflow's `.w-form-fail`) shows when an answer is not the visitor's to
/// fix (no answer, 5xx, a refusal other than 422) and hides on the next submit.
export function fire(form, name, detail) {
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
export function issue(field, code, message) {
  return { field: field == null ? null : field, code, message };
}

/// The items of a JS array (nothing when `value` is not one).
export function items(value) {
  return Array.isArray(value) ? value : [];
}

/// The form's fields as the browser would post them (multipart `FormData`), plus the controls it
/// leaves out for having no `name`, under their `id`. Each control the widget knows more of than its
/// name also carries a hint for the edge: `_closem_field:<name>` with its `data-closem-field` and
/// `_closem_auto:<name>` with its `autocomplete` token (the edge decides which one counts).
export function data(form) {
  const data = new FormData(form);
  for (const control of controls(form)) {
    const name = key(control);
    if (!name || control.disabled) continue;
    if (!control.name && control.id && !/^(submit|reset|button|image)$/.test(control.type)) {
      if (control.type == "file") for (const file of control.files) data.append(name, file);
      else if (control.multiple && control.options) for (const option of control.selectedOptions) data.append(name, option.value);
      else if (!/^(checkbox|radio)$/.test(control.type) || control.checked) data.append(name, control.value);
    }
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
export function say(node, code, index, text) {
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

/// Replaces every value of `name` with one value.
export function set(data, name, value) {
  data.set(name, value);
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
export function post(endpoint, form, data, handler) {
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
  send(entry, data, handler);
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

/// The answer goes to the widget's handler as an `answer` pseudo-event: the HTTP status and the
/// parsed body (`null` when there was none), or status 0 when no answer came (network, CORS); the
/// key; whether this was a retry; whether the entry is (still) in the outbox; and the form, while
/// it is on the page.
function send(entry, body, handler, retry) {
  const key = entry.key;
  const done = (status, body) => {
    delete flying[key];
    const form = owners[key];
    rechallenge(form, status);
    handler({
      type: "answer",
      currentTarget: form && form.isConnected ? form : null,
      status,
      body,
      key,
      retry,
      kept: load().some((entry) => entry.key == key),
    });
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
export function forget({ key }) {
  delete owners[key];
  save(load().filter((entry) => entry.key != key));
}

/// Parks the submission an answer was for: kept, but not sent again by itself, since Turnstile
/// wants a new challenge first (its form's challenge restarts; the next submit replaces it).
export function park({ key }) {
  save(load().map((entry) => (entry.key == key ? Object.assign(entry, { parked: 1 }) : entry)));
}

/// Sends every entry of the outbox that is not on its way already (nor parked), each with its own
/// key.
function retry(handler) {
  for (const entry of load()) {
    if (flying[entry.key] || entry.parked) continue;
    const body = new FormData();
    for (const [name, value] of entry.fields) body.append(name, value);
    const form = owners[entry.key];
    if (form && form.isConnected) setBusy(form, true);
    send(entry, body, handler, true);
  }
}

/// Sends what the outbox holds now (left by an earlier page of the site) and whenever the browser
/// is back online. The listener lasts as long as the page, like the document observer.
function outbox(handler) {
  addEventListener("online", () => retry(handler));
  retry(handler);
}

/// Now, in whole UNIX seconds.
export function now() {
  return Math.floor(Date.now() / 1000);
}

/// A `datetime-local` value (`2030-06-01T09:30`) read in the visitor's timezone, as UNIX seconds;
/// nothing before 1970, which cannot be an appointment (the shared check reports the raw value).
export function localSeconds(value) {
  const seconds = Math.floor(new Date(value).getTime() / 1000);
  return seconds >= 0 ? String(seconds) : undefined;
}
