//! `cargo xtask build-widget` / `build-edge`: the two wasm artefacts, built with the local tools
//! that `setup` installed (nothing is downloaded at build time).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::process::{cmd, npm_bin, root, step, which, Outcome};

/// Features the Rust wasm32 target enables by default; wasm-opt must accept the same.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Runs after the wasm-bindgen glue inside closem.js. It reads the endpoint synchronously, while
/// `document.currentScript` is still this script: `data-endpoint` on the tag, else the origin the
/// script came from. Then it starts the widget; on any failure (no WebAssembly, a CSP without
/// 'wasm-unsafe-eval', a network error) it only warns, and every form keeps its native post.
const LOADER: &str = r#"
;(function(){var s=document.currentScript,e=s&&(s.getAttribute("data-endpoint")||new URL(s.src,location.href).origin);function w(x){console.warn("closem: widget unavailable, forms post natively",x)}try{wasm_bindgen().then(function(){wasm_bindgen.boot(e||location.origin)}).catch(w)}catch(x){w(x)}})();
"#;

/// Sources of each artefact: when none is newer than the output, the build is skipped, so a second
/// `cargo xtask run` starts in seconds.
const WIDGET_INPUTS: &[&str] = &[
    "Cargo.lock",
    "Cargo.toml",
    "shared",
    "widget/src",
    "widget/Cargo.toml",
    "xtask/src",
];
const EDGE_INPUTS: &[&str] = &[
    "Cargo.lock",
    "Cargo.toml",
    "shared",
    "edge/src",
    "edge/Cargo.toml",
    "xtask/src",
];

/// Builds `widget/pkg/closem.js` (glue + loader, minified) and `widget/pkg/closem_bg.wasm`.
pub fn widget() -> Outcome<PathBuf> {
    let out_dir = root().join("widget").join("pkg");
    if is_fresh(&out_dir.join("closem.js"), WIDGET_INPUTS) {
        println!("    widget: up to date");
        return Ok(out_dir);
    }
    step(
        "build widget (wasm32, release)",
        cmd("cargo").args([
            "build",
            "--package",
            "closem-widget",
            "--target",
            "wasm32-unknown-unknown",
            "--release",
        ]),
    )?;
    let wasm = root()
        .join("target")
        .join("wasm32-unknown-unknown")
        .join("release")
        .join("closem_widget.wasm");
    // no-modules: the embed is a classic `<script defer>`, and this target finds its wasm next to
    // the script through document.currentScript.
    step(
        "wasm-bindgen widget (no-modules)",
        cmd("wasm-bindgen")
            .args([
                "--target",
                "no-modules",
                "--no-typescript",
                "--out-name",
                "closem",
            ])
            .arg("--out-dir")
            .arg(&out_dir)
            .arg(&wasm),
    )?;
    let bg = out_dir.join("closem_bg.wasm");
    step(
        "wasm-opt -Oz widget",
        cmd(&tool("wasm-opt")?)
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg(&bg)
            .arg("-o")
            .arg(&bg),
    )?;
    let glue_path = out_dir.join("closem.js");
    let mut glue =
        fs::read_to_string(&glue_path).map_err(|error| format!("{glue_path:?}: {error}"))?;
    glue.push_str(LOADER);
    let unminified = out_dir.join("closem.full.js");
    fs::write(&unminified, glue).map_err(|error| format!("{unminified:?}: {error}"))?;
    step(
        "esbuild --minify closem.js",
        cmd(&tool("esbuild")?)
            .arg(&unminified)
            .args(["--minify", "--target=es2019", "--log-level=warning"])
            .arg(format!("--outfile={}", glue_path.display())),
    )?;
    fs::remove_file(&unminified).map_err(|error| format!("{unminified:?}: {error}"))?;
    Ok(out_dir)
}

/// Builds the Worker into `edge/build/worker` with worker-build, pointed at local binaries.
pub fn edge() -> Outcome {
    if is_fresh(&root().join("edge/build/index_bg.wasm"), EDGE_INPUTS) {
        println!("    edge: up to date");
        return Ok(());
    }
    let wasm_bindgen =
        which("wasm-bindgen").ok_or("wasm-bindgen is missing: run `cargo xtask setup`")?;
    step(
        "build edge worker (worker-build --release)",
        cmd("worker-build")
            .arg("--release")
            .current_dir(root().join("edge"))
            .env("WASM_BINDGEN_BIN", wasm_bindgen)
            .env("WASM_OPT_BIN", tool("wasm-opt")?)
            .env("ESBUILD_BIN", tool("esbuild")?),
    )?;
    // worker-build keeps the wasm name section (about 100 KB) for stack traces; the edge never
    // panics on input by design, so rewrite the module without it.
    let wasm = root().join("edge/build/index_bg.wasm");
    step(
        "strip names from the edge wasm",
        cmd(&tool("wasm-opt")?)
            .args(WASM_FEATURES)
            .arg("--enable-exception-handling")
            .args(["--strip-debug", "--strip-producers"])
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm),
    )
}

fn tool(name: &str) -> Outcome<String> {
    let path = npm_bin().join(name);
    if path.is_file() {
        Ok(path.to_string_lossy().into_owned())
    } else {
        Err(format!(
            "{name} is missing from node_modules/.bin: run `cargo xtask setup`"
        ))
    }
}

/// True when `output` exists and is newer than every file under `inputs` (paths from the root).
fn is_fresh(output: &Path, inputs: &[&str]) -> bool {
    let Some(built) = modified(output) else {
        return false;
    };
    inputs
        .iter()
        .all(|input| newest(&root().join(input)).is_some_and(|newest| newest <= built))
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .ok()
}

/// The newest modification time of a file, or of any file below a directory.
fn newest(path: &Path) -> Option<SystemTime> {
    let own = modified(path)?;
    if !path.is_dir() {
        return Some(own);
    }
    let entries = fs::read_dir(path).ok()?;
    entries
        .flatten()
        .filter_map(|entry| newest(&entry.path()))
        .chain(std::iter::once(own))
        .max()
}
