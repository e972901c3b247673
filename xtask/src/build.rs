//! `cargo xtask build-widget` / `build-edge`: the two wasm artefacts, built with the local tools
//! that `setup` installed (nothing is downloaded at build time).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::process::{cmd, npm_bin, output, root, step, which, Outcome};

/// Features the Rust wasm32 target enables by default; wasm-opt must accept the same.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The entry of closem.js, bundled with the wasm-bindgen glue (`--target web`, an ES module) into
/// one classic script. It reads the endpoint synchronously, while `document.currentScript` is still
/// this script: `data-endpoint` on the tag, else the origin the script came from; the wasm sits
/// next to the script. Then it starts the widget; on any failure (no WebAssembly, a CSP without
/// 'wasm-unsafe-eval', a network error) it only warns, and every form keeps its native post.
/// It fetches and compiles the wasm itself and hands the module to `initSync`, so the glue's async
/// loader (MIME sniffing, fallbacks and their long warnings, about 500 brotli bytes) is left out
/// of the bundle; compiling from bytes also works where the server's wasm MIME type is wrong.
const LOADER: &str = r#"import { initSync, boot } from "./closem.js";
var s = document.currentScript, e = s && (s.getAttribute("data-endpoint") || new URL(s.src, location.href).origin);
function w(x) { console.warn("closem: widget unavailable, forms post natively", x); }
try { fetch(s.src.replace(/\.js$/, "_bg.wasm")).then(function (r) { return r.arrayBuffer(); }).then(function (b) { return WebAssembly.compile(b); }).then(function (m) { initSync({ module: m }); boot(e || location.origin); }).catch(w); } catch (x) { w(x); }
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

/// Builds `widget/pkg/closem.js` (loader + glue + `dom.js`, bundled and minified) and
/// `widget/pkg/closem_bg.wasm`.
/// Cache rules for the widget's files, read by Workers static assets. The names are fixed by the
/// embed contract (no content hash), so caches keep them briefly and revalidate in the background.
const ASSET_HEADERS: &str = "/closem.js
  Cache-Control: public, max-age=300, stale-while-revalidate=86400
/closem_bg.wasm
  Cache-Control: public, max-age=300, stale-while-revalidate=86400
";

pub fn widget() -> Outcome<PathBuf> {
    let out_dir = root().join("widget").join("pkg");
    fs::create_dir_all(&out_dir).map_err(|error| format!("{out_dir:?}: {error}"))?;
    let headers = out_dir.join("_headers");
    fs::write(&headers, ASSET_HEADERS).map_err(|error| format!("{headers:?}: {error}"))?;
    if is_fresh(&out_dir.join("closem.js"), WIDGET_INPUTS) {
        println!("    widget: up to date");
        return Ok(out_dir);
    }
    // Without `std`: the shipped build is `no_std`, with its own panic handler and allocator.
    step(
        "build widget (wasm32, release, no_std)",
        cmd("cargo").args([
            "build",
            "--package",
            "closem-widget",
            "--target",
            "wasm32-unknown-unknown",
            "--release",
            "--no-default-features",
        ]),
    )?;
    let wasm = root()
        .join("target")
        .join("wasm32-unknown-unknown")
        .join("release")
        .join("closem_widget.wasm");
    // `--target web`, not no-modules: only ES module output can carry the widget's `dom.js`
    // snippet. esbuild then bundles glue, snippet and loader into one classic script.
    let glue_dir = root().join("target").join("widget-glue");
    if glue_dir.exists() {
        fs::remove_dir_all(&glue_dir).map_err(|error| format!("{glue_dir:?}: {error}"))?;
    }
    step(
        "wasm-bindgen widget (web)",
        cmd("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--out-name", "closem"])
            .arg("--out-dir")
            .arg(&glue_dir)
            .arg(&wasm),
    )?;
    let optimized = glue_dir.join("optimized.wasm");
    step(
        "wasm-opt -Oz widget",
        cmd(&tool("wasm-opt")?)
            .args([
                "-Oz",
                "--converge",
                "--strip-producers",
                "--strip-target-features",
            ])
            .args(WASM_FEATURES)
            .arg(glue_dir.join("closem_bg.wasm"))
            .arg("-o")
            .arg(&optimized),
    )?;
    fs::create_dir_all(&out_dir).map_err(|error| format!("{out_dir:?}: {error}"))?;
    shorten_names(&glue_dir, &optimized, &out_dir.join("closem_bg.wasm"))?;
    let entry = glue_dir.join("entry.js");
    fs::write(&entry, LOADER).map_err(|error| format!("{entry:?}: {error}"))?;
    step(
        "esbuild --bundle --minify closem.js",
        cmd(&tool("esbuild")?)
            .arg(&entry)
            .args([
                "--bundle",
                "--format=iife",
                "--minify",
                "--target=es2019",
                "--log-level=warning",
                // The glue's fallback wasm URL; the loader always passes one.
                "--define:import.meta.url=undefined",
                // wasm-bindgen lists the snippet module once per import; same value each time.
                "--log-override:duplicate-object-key=silent",
            ])
            .arg(format!("--outfile={}", out_dir.join("closem.js").display())),
    )?;
    Ok(out_dir)
}

/// Renames the wasm's imports and exports to one or two letters, and its import modules to `a`
/// (wasm-opt prints the mapping), then applies the same renames to the glue. wasm-bindgen's names
/// carry 16-digit hashes and the snippet's long module path, which cost about 300 brotli bytes
/// twice over: once in the wasm, once in the glue. Every rename must find its name in the glue, so
/// a wasm-bindgen whose glue looks different fails the build instead of shipping a broken widget.
fn shorten_names(glue_dir: &Path, wasm: &Path, out: &Path) -> Outcome {
    let label = "wasm-opt --minify-imports-and-exports-and-modules widget";
    println!("==> {label}");
    let mapping = output(
        cmd(&tool("wasm-opt")?)
            .args(WASM_FEATURES)
            .arg("--minify-imports-and-exports-and-modules")
            .arg(wasm)
            .arg("-o")
            .arg(out),
    )
    .ok_or(format!("{label}: failed"))?;
    let glue_path = glue_dir.join("closem.js");
    let mut glue =
        fs::read_to_string(&glue_path).map_err(|error| format!("{glue_path:?}: {error}"))?;
    // The import object wasm-bindgen builds: `"module": importN,` per import, one module per line.
    let start = "    return {\n        __proto__: null,\n";
    let from = glue.find(start).ok_or("glue: no import object")?;
    let to = from
        + glue[from..]
            .find("\n    };\n")
            .ok_or("glue: import object has no end")?;
    let modules: Vec<(String, String)> = glue[from + start.len()..to]
        .lines()
        .filter_map(|line| {
            let (module, variable) = line.trim().trim_end_matches(',').split_once(": ")?;
            Some((module.trim_matches('"').to_owned(), variable.to_owned()))
        })
        .collect();
    let mut direct = String::new();
    let (imports, exports) = mapping
        .split_once("\"exports\"")
        .ok_or("wasm-opt printed no export mapping")?;
    for entry in quoted_rows(imports) {
        let [module, name, short] = entry.as_slice() else {
            return Err(format!("unexpected import mapping {entry:?}"));
        };
        let variable = modules
            .iter()
            .find(|(known, _)| known == module)
            .map(|(_, variable)| variable)
            .ok_or(format!("glue: no module {module}"))?;
        if variable == "import0" {
            // wasm-bindgen's own shims: rename the key in place.
            replace_all(
                &mut glue,
                &format!("        {name}: function"),
                &format!("        {short}: function"),
            )?;
        } else {
            // Imported straight from the snippet module.
            direct.push_str(&format!("{short}: {variable}.{name}, "));
        }
    }
    for entry in quoted_rows(exports) {
        let [name, short] = entry.as_slice() else {
            return Err(format!("unexpected export mapping {entry:?}"));
        };
        // Some exports (the abort hooks) are not used by this glue.
        let _ = replace_all(&mut glue, &format!("wasm.{name}"), &format!("wasm.{short}"));
    }
    // Found again: the renames above moved it.
    let from = glue.find(start).ok_or("glue: no import object")?;
    let end = from
        + glue[from..]
            .find("\n    };\n")
            .ok_or("glue: import object has no end")?;
    glue.replace_range(
        from..end + "\n    };\n".len(),
        &format!("    return {{ a: Object.assign(import0, {{ {direct}}}) }};\n"),
    );
    fs::write(&glue_path, glue).map_err(|error| format!("{glue_path:?}: {error}"))?;
    println!("    {label}: done");
    Ok(())
}

/// The rows of a JSON array of string arrays, as wasm-opt prints them (`["a", "b"],` per line).
fn quoted_rows(json: &str) -> Vec<Vec<String>> {
    json.lines()
        .filter(|line| line.trim_start().starts_with("[\""))
        .map(|line| {
            line.split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// Replaces every `name` followed by a character that cannot continue a JS identifier.
fn replace_all(text: &mut String, name: &str, short: &str) -> Outcome {
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut found = false;
    while let Some(at) = rest.find(name) {
        let after = rest[at + name.len()..].chars().next();
        let boundary = !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        out.push_str(&rest[..at]);
        out.push_str(if boundary { short } else { name });
        found |= boundary;
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    *text = out;
    if found {
        Ok(())
    } else {
        Err(format!("glue: `{name}` not found"))
    }
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
