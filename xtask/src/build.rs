//! `cargo xtask build-widget` / `build-edge`: the two wasm artefacts, built with the local tools
//! that `setup` installed (nothing is downloaded at build time).

// the lead is rewriting the loader here now; narrow its `pub` items once that lands (issue 15).
#![allow(unreachable_pub)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::process::{cmd, npm_bin, output, root, step, which, Outcome};

/// Features the Rust wasm32 target enables by default; wasm-opt must accept the same.
pub(crate) const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The entry of closem.js, bundled with the wasm-bindgen glue (`--target web`, an ES module) and
/// `dom.js` into one classic script. It reads the endpoint synchronously, while
/// `document.currentScript` is still this script: `data-endpoint` on the tag, else the origin the
/// script came from. Then, in this order: it starts fetching and compiling the wasm (streaming
/// where the browser can, from the whole body otherwise, e.g. when a server sends the wrong
/// type), enhances every form at once (`start` in dom.js, without waiting for the module), and
/// once the module is compiled hands it to the glue's `initSync` and boots the widget. If the
/// module cannot start (no WebAssembly, a CSP without 'wasm-unsafe-eval', the network, an integrity
/// mismatch) `fail` releases every form to its native post. `performance.mark`s name the stages
/// for `cargo xtask bench` (and for any site that measures).
///
/// The wasm always comes from the versioned folder (`/v/<version>/closem_bg.wasm`, the version
/// written in below), whichever URL the script was loaded from: the moving `/closem.js` and a
/// cached wasm can never be of two different builds, and the pinned `/v/<version>/closem.js` is the
/// same bytes. The fetch carries the wasm's Subresource Integrity hash, so a page that pins the
/// script with `integrity` pins the module too. It is a CORS request (the page is on the site's
/// origin), answered by the `Access-Control-Allow-Origin: *` of `_headers`. Compiling here and
/// calling `initSync` leaves the glue's async loader (about 500 brotli bytes) out of the bundle.
const LOADER: &str = r#"import { initSync, ask } from "./closem.js";
import { start, ready, fail } from "__CLOSEM_DOM__";
var s = document.currentScript, e = s && (s.getAttribute("data-endpoint") || new URL(s.src, location.href).origin), p = performance, W = WebAssembly;
p.mark("closem:start");
try {
  var u = new URL("/v/__CLOSEM_VERSION__/closem_bg.wasm", s.src), o = { integrity: "__CLOSEM_WASM_SRI__" };
  var whole = function () { return fetch(u, o).then(function (r) { return r.arrayBuffer(); }).then(function (b) { return W.compile(b); }); };
  var m = W.compileStreaming ? W.compileStreaming(fetch(u, o)).catch(whole) : whole();
  start(u);
  p.mark("closem:enhanced");
  m.then(function (m) { p.mark("closem:compiled"); initSync({ module: m }); ready(ask, e || location.origin); p.mark("closem:ready"); }).catch(fail);
} catch (x) { fail(x); }
"#;

/// Stand-ins in the bundle for what is only known once the bundle is made: the version and the
/// wasm's integrity hash.
const VERSION_MARK: &str = "__CLOSEM_VERSION__";
const WASM_SRI_MARK: &str = "__CLOSEM_WASM_SRI__";

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
const DASHBOARD_INPUTS: &[&str] = &[
    "Cargo.lock",
    "Cargo.toml",
    "shared",
    "dashboard",
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

/// Cache and cross-origin rules for the widget's files, read by Workers static assets. Every
/// site embeds them from the forms host, another origin: the script tag (with or without
/// `crossorigin` and `integrity`) and the loader's fetch of the wasm are CORS requests, so both
/// answer `Access-Control-Allow-Origin: *` (public files, never credentials);
/// `Cross-Origin-Resource-Policy: cross-origin` lets pages with `Cross-Origin-Embedder-Policy`
/// load them; `Timing-Allow-Origin: *` lets the site measure them. The moving names are kept
/// briefly and revalidated in the background; a versioned folder never changes, so it is cached
/// for a year.
const ASSET_HEADERS: &str = "/closem.js
  Cache-Control: public, max-age=300, stale-while-revalidate=86400
  Access-Control-Allow-Origin: *
  Cross-Origin-Resource-Policy: cross-origin
  Timing-Allow-Origin: *
/closem_bg.wasm
  Cache-Control: public, max-age=300, stale-while-revalidate=86400
  Access-Control-Allow-Origin: *
  Cross-Origin-Resource-Policy: cross-origin
  Timing-Allow-Origin: *
/v/*
  Cache-Control: public, max-age=31536000, immutable
  Access-Control-Allow-Origin: *
  Cross-Origin-Resource-Policy: cross-origin
  Timing-Allow-Origin: *
/admin
  Cache-Control: no-cache
  Content-Security-Policy: default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
/admin/*
  Cache-Control: no-cache
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
";

/// What a widget build published: its version (the folder under `v/`) and the Subresource
/// Integrity values of its `closem.js` and of its wasm.
pub struct Release {
    pub version: String,
    pub script_integrity: String,
    pub wasm_integrity: String,
}

impl Release {
    /// The pinned embed, in the order it goes into the page's `<head>`: a preload of the wasm, so
    /// the browser fetches it beside the script instead of after it has run (one round trip less
    /// before validation is ready on a phone network; the loader's fetch matches the preload: the
    /// same URL, CORS without credentials, the same integrity), then the script itself.
    pub fn embed(&self, forms_host: &str) -> String {
        let folder = format!("{forms_host}/v/{}", self.version);
        format!(
            "<link rel=\"preload\" href=\"{folder}/closem_bg.wasm\" as=\"fetch\" \
             type=\"application/wasm\" integrity=\"{wasm}\" crossorigin=\"anonymous\">\n\
             <script src=\"{folder}/closem.js\" integrity=\"{script}\" crossorigin=\"anonymous\" \
             defer></script>",
            wasm = self.wasm_integrity,
            script = self.script_integrity,
        )
    }
}

/// Builds `widget/pkg/closem.js` (loader + glue + `dom.js`, bundled and minified),
/// `widget/pkg/closem_bg.wasm`, and the same two files under `widget/pkg/v/<version>/`, where the
/// version is a content hash, so one versioned URL always serves the same bytes. Earlier versions
/// in `widget/pkg/v/` are kept: pages that pinned them keep working after a deploy.
pub fn widget() -> Outcome<PathBuf> {
    let out_dir = root().join("widget").join("pkg");
    fs::create_dir_all(&out_dir).map_err(|error| format!("{out_dir:?}: {error}"))?;
    let headers = out_dir.join("_headers");
    fs::write(&headers, ASSET_HEADERS).map_err(|error| format!("{headers:?}: {error}"))?;
    dashboard(&out_dir)?;
    if is_fresh(&out_dir.join("closem.js"), WIDGET_INPUTS) {
        println!("    widget: up to date");
        print_release(&release_of(&out_dir)?)?;
        return Ok(out_dir);
    }
    build_widget(&out_dir)?;
    print_release(&release_of(&out_dir)?)?;
    Ok(out_dir)
}

/// Builds the operators' dashboard (`dashboard/`) beside the widget, into the worker's static
/// assets and so out of the edge bundle: `admin.html` (served at `/admin`) and, under `admin/`,
/// its start script, wasm-bindgen glue, wasm and style sheet. None of them holds data; `_headers`
/// has them revalidated on every load and gives the page a strict Content-Security-Policy.
fn dashboard(out_dir: &Path) -> Outcome {
    let admin_dir = out_dir.join("admin");
    if is_fresh(&admin_dir.join("dashboard_bg.wasm"), DASHBOARD_INPUTS) {
        println!("    dashboard: up to date");
        return Ok(());
    }
    step(
        "build dashboard (wasm32, release)",
        cmd("cargo").args([
            "build",
            "--package",
            "closem-dashboard",
            "--target",
            "wasm32-unknown-unknown",
            "--release",
        ]),
    )?;
    let wasm = root()
        .join("target")
        .join("wasm32-unknown-unknown")
        .join("release")
        .join("closem_dashboard.wasm");
    fs::create_dir_all(&admin_dir).map_err(|error| format!("{admin_dir:?}: {error}"))?;
    step(
        "wasm-bindgen dashboard (web)",
        cmd("wasm-bindgen")
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "dashboard",
            ])
            .arg("--out-dir")
            .arg(&admin_dir)
            .arg(&wasm),
    )?;
    let module = admin_dir.join("dashboard_bg.wasm");
    step(
        "wasm-opt -Oz dashboard",
        cmd(&tool("wasm-opt")?)
            .args(["-Oz", "--strip-producers", "--strip-debug"])
            .args(WASM_FEATURES)
            .arg(&module)
            .arg("-o")
            .arg(&module),
    )?;
    let statics = root().join("dashboard").join("static");
    for (from, to) in [
        ("admin.html", out_dir.join("admin.html")),
        ("start.js", admin_dir.join("start.js")),
        ("dashboard.css", admin_dir.join("dashboard.css")),
    ] {
        fs::copy(statics.join(from), &to).map_err(|error| format!("{to:?}: {error}"))?;
    }
    Ok(())
}

/// Prints how to pin this build and records it in `target/widget-release.txt` (version, the
/// script's integrity, the wasm's integrity), where the tests' customer site reads it.
fn print_release(release: &Release) -> Outcome {
    let record = root().join("target").join("widget-release.txt");
    fs::create_dir_all(root().join("target")).map_err(|error| format!("target/: {error}"))?;
    fs::write(
        &record,
        format!(
            "{}\n{}\n{}\n",
            release.version, release.script_integrity, release.wasm_integrity
        ),
    )
    .map_err(|error| format!("{record:?}: {error}"))?;
    println!(
        "    widget {}: pin it (both lines in <head>):\n{}",
        release.version,
        release
            .embed("https://FORMS-HOST")
            .lines()
            .map(|line| format!("      {line}\n"))
            .collect::<String>()
            .trim_end()
    );
    Ok(())
}

/// The release a built `widget/pkg` holds: the version its `closem.js` loads the wasm from, and
/// that script's integrity value.
pub fn release_of(out_dir: &Path) -> Outcome<Release> {
    let path = out_dir.join("closem.js");
    let script = fs::read(&path).map_err(|error| format!("{path:?}: {error}"))?;
    let text = String::from_utf8_lossy(&script);
    let version = text
        .split("/v/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .filter(|version| version.len() == VERSION_LENGTH)
        .ok_or(format!("{path:?} names no versioned wasm: rebuild it"))?
        .to_owned();
    let module = out_dir.join("v").join(&version).join("closem_bg.wasm");
    let wasm = fs::read(&module).map_err(|error| format!("{module:?}: {error}"))?;
    Ok(Release {
        version,
        script_integrity: integrity(&script),
        wasm_integrity: integrity(&wasm),
    })
}

/// Hex digits of the content hash that names a version.
const VERSION_LENGTH: usize = 12;

/// `sha384-<base64>`, the Subresource Integrity form browsers check.
pub fn integrity(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha384-{}", base64(&sha2::Sha384::digest(bytes)))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let buffer = chunk.iter().enumerate().fold(0u32, |buffer, (at, &byte)| {
            buffer | u32::from(byte) << (16 - 8 * at)
        });
        for at in 0..4 {
            if at <= chunk.len() {
                out.push(char::from(
                    ALPHABET[(buffer >> (18 - 6 * at) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Writes the bundle under its moving names and into its version's folder. The version is a hash of
/// the wasm and of the bundle before the version is written into it, so a change to either makes a
/// new version, and a version's files never change.
fn publish(out_dir: &Path, wasm: &Path, bundle: &Path) -> Outcome {
    use sha2::Digest;
    let wasm_bytes = fs::read(wasm).map_err(|error| format!("{wasm:?}: {error}"))?;
    let bundle_text = fs::read_to_string(bundle).map_err(|error| format!("{bundle:?}: {error}"))?;
    for mark in [VERSION_MARK, WASM_SRI_MARK] {
        if !bundle_text.contains(mark) {
            return Err(format!("the bundled loader lost its {mark}"));
        }
    }
    // The other languages' catalogues, loaded on demand from the versioned folder.
    let catalogues: Vec<(&str, String)> = closem_shared::Lang::ALL
        .into_iter()
        .filter(|lang| *lang != closem_shared::Lang::En)
        .map(|lang| (lang.code(), closem_shared::i18n::catalogue_json(lang)))
        .collect();
    let mut hasher = sha2::Sha256::new();
    hasher.update(&wasm_bytes);
    hasher.update(bundle_text.as_bytes());
    for (_, catalogue) in &catalogues {
        hasher.update(catalogue.as_bytes());
    }
    let version: String = hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<String>()[..VERSION_LENGTH]
        .to_owned();
    let script = bundle_text
        .replace(VERSION_MARK, &version)
        .replace(WASM_SRI_MARK, &integrity(&wasm_bytes));
    let versioned = out_dir.join("v").join(&version);
    fs::create_dir_all(&versioned).map_err(|error| format!("{versioned:?}: {error}"))?;
    let languages = versioned.join("i18n");
    fs::create_dir_all(&languages).map_err(|error| format!("{languages:?}: {error}"))?;
    for (code, catalogue) in &catalogues {
        let file = languages.join(format!("{code}.json"));
        fs::write(&file, catalogue).map_err(|error| format!("{file:?}: {error}"))?;
    }
    for dir in [out_dir, versioned.as_path()] {
        let js = dir.join("closem.js");
        fs::write(&js, &script).map_err(|error| format!("{js:?}: {error}"))?;
        let module = dir.join("closem_bg.wasm");
        fs::write(&module, &wasm_bytes).map_err(|error| format!("{module:?}: {error}"))?;
    }
    Ok(())
}

fn build_widget(out_dir: &Path) -> Outcome {
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
    // `--target web`: ES module glue, which esbuild bundles with `dom.js` and the loader into one
    // classic script.
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
    let shortened = glue_dir.join("shortened.wasm");
    shorten_names(&glue_dir, &optimized, &shortened)?;
    let entry = glue_dir.join("entry.js");
    let bundle = glue_dir.join("bundle.js");
    // The shipped module imports nothing from `dom.js` (the loader hands it the module's `ask`),
    // so esbuild bundles the source file itself.
    let dom_js = root().join("widget").join("src").join("dom.js");
    let loader = LOADER.replace("__CLOSEM_DOM__", &dom_js.to_string_lossy());
    fs::write(&entry, loader).map_err(|error| format!("{entry:?}: {error}"))?;
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
            .arg(format!("--outfile={}", bundle.display())),
    )?;
    publish(out_dir, &shortened, &bundle)
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

/// Checks the form profiles (`cargo xtask check`), then builds the Worker into `edge/build` with
/// worker-build, pointed at local binaries. The profiles are not an input of the wasm: the entry
/// module (edge/entry.mjs) bundles edge/forms.json when wrangler deploys, so editing a profile
/// never waits for a Rust build, but it is checked every time.
pub fn edge() -> Outcome {
    crate::check::verify(None)?;
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
    // panics on input by design, so rewrite the module without it. The same pass optimises for
    // size once more: worker-build's own wasm-opt run leaves about 1.4 KB gzip that `-Oz` finds
    // (measured on 2026-12-01: 144,009 -> 142,593 B gzip).
    let wasm = root().join("edge/build/index_bg.wasm");
    step(
        "strip names from the edge wasm, optimise for size",
        cmd(&tool("wasm-opt")?)
            .args(WASM_FEATURES)
            .arg("--enable-exception-handling")
            .args(["-Oz", "--strip-debug", "--strip-producers"])
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm),
    )
}

pub(crate) fn tool(name: &str) -> Outcome<String> {
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
