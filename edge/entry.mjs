// The worker's entry module (`main` in wrangler.jsonc). wrangler bundles it at `wrangler deploy`
// and `wrangler dev`: the forms file is imported here, so it travels inside the worker (hundreds of
// profiles fit, where one variable holds 5 KB), then the Rust worker built by `cargo xtask
// build-edge`. The profiles are left on the global object for edge/src/config.rs, which parses
// them with shared/'s parser on the first request (a global, not a wasm static, so they outlive a
// re-instantiated module). `cargo xtask check` validates the same file before any build.
import forms from "./forms.json";
globalThis.CLOSEM_FORMS_FILE = forms;
export * from "./build/index.js";
export { default } from "./build/index.js";
