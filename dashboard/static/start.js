// Starts the dashboard's wasm (built by `cargo xtask build-widget` into /admin/).
import init from "./dashboard.js";
init({ module_or_path: new URL("./dashboard_bg.wasm", import.meta.url) });
