//! The architecture invariants as tests (rust-analyzer's `xtask/src/tidy.rs` habit): each reads
//! the tree as text and fails, naming the file and line, when ARCHITECTURE.md's rules are broken.
//! Run by the unit tier (`cargo xtask test unit` runs `cargo test --package xtask`).
//!
//! What "breaking" means, precisely:
//! - CLOSEM's URL: outside `edge/src/forward.rs` (and `edge/src/config.rs`, which reads and checks
//!   the binding), no shipped file names `api_url`, `.base_url`, `api_key` as a value
//!   (`.api_key.`), `DEFAULT_BASE_URL` or `app.closem.ai`.
//! - shared/: its manifest has no dependency but [`SHARED_DEPENDENCIES`] and no target-specific
//!   one; its sources name no `std::` path (it is `no_std` with `alloc`), no platform crate
//!   (`wasm_bindgen`, `web_sys`, `js_sys`, `worker`) and no printing macro.
//! - Every `.rs` file's first line is a `//!` comment.
//! - The DOM: in widget/, only `src/dom.rs` names `web_sys`, `js_sys` or declares an
//!   `extern "C"` binding, and `src/dom.js` is the only JavaScript.
//! - `unwrap`/`expect`: the input paths of the shipped crates are all their non-test code
//!   (everything in `shared/src`, `edge/src`, `widget/src` before a file's `#[cfg(test)]` item,
//!   and no file that is itself a test module); there, `.unwrap()` and `.expect(` are refused
//!   unless the line, or the one above, carries [`UNWRAP_OK`] and a reason.
//! - ARCHITECTURE.md names every module file in [`MODULE_FOLDERS`]: `name.rs` (or its folder,
//!   `name/`, for a `mod.rs`; `lib.rs` and `main.rs` are named by their folder), or a backticked
//!   pattern does (`edge_*`, `src/bin/closem-bench-*.rs`).
//! - Every `#[allow(...)]` has a comment on its line or the line above saying why.
//! - A function (Rust in shared/, edge/, widget/; JavaScript in `widget/src/dom.js`) longer than
//!   [`LONG_FUNCTION`] lines carries a comment starting with [`LONG_REASON`] right above it (among
//!   its doc comments and attributes).

use std::fs;
use std::path::{Path, PathBuf};

use crate::process::root;

/// The one file that sends requests to CLOSEM, and the one that reads its URL from the bindings.
const CLOSEM_SENDER: &str = "edge/src/forward.rs";
const CLOSEM_CONFIG: &str = "edge/src/config.rs";
/// What names CLOSEM's URL or key in code.
const CLOSEM_MARKS: &[&str] = &[
    "api_url",
    ".base_url",
    ".api_key.",
    "DEFAULT_BASE_URL",
    "app.closem.ai",
];

/// shared/'s dependencies: JSON parsing for the `config` feature, itself pure.
const SHARED_DEPENDENCIES: &[&str] = &["serde_json"];
/// What would give shared/ a platform, I/O or a way to print.
const SHARED_FORBIDDEN: &[&str] = &[
    "std::",
    "wasm_bindgen",
    "web_sys",
    "js_sys",
    "worker::",
    "println!",
    "eprintln!",
    "print!",
    "eprint!",
    "dbg!",
];

/// What binds the browser's DOM from Rust.
const DOM_MARKS: &[&str] = &["web_sys", "js_sys", "extern \"C\"", "inline_js"];

/// Where the modules ARCHITECTURE.md maps live: each crate's `src/` and the one integration
/// binary's modules (a crate's own `tests/` are its tests, not modules of the product).
const MODULE_FOLDERS: &[&str] = &[
    "shared/src",
    "edge/src",
    "widget/src",
    "tests/src",
    "tests/it",
    "xtask/src",
];

/// The marker that lets one `unwrap`/`expect` through, followed by why it cannot fail.
const UNWRAP_OK: &str = "tidy: unwrap-ok";

/// Lines (from the `fn` line to its closing brace) a function may have without a reason.
const LONG_FUNCTION: usize = 60;
/// How the comment above a longer function starts.
const LONG_REASON: &str = "Long:";

/// Long functions another branch is splitting right now (issue 15), so this branch leaves their
/// files alone: (file, function, who). An entry whose function is no longer long fails the test,
/// so each goes once its split lands.
const PENDING_SPLITS: &[(&str, &str, &str)] = &[];

#[test]
fn only_forward_sends_to_closem() {
    let mut found = Vec::new();
    for file in shipped_sources() {
        let path = relative(&file);
        if path == CLOSEM_SENDER || path == CLOSEM_CONFIG {
            continue;
        }
        found.extend(marks_in(&file, CLOSEM_MARKS));
    }
    fail_on(
        &found,
        "only edge/src/forward.rs talks to CLOSEM (ARCHITECTURE.md)",
    );
}

#[test]
fn shared_has_no_platform_and_no_io() {
    let mut found = Vec::new();
    let manifest = read(&root().join("shared/Cargo.toml"));
    let mut section = String::new();
    for (index, line) in manifest.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_string();
            continue;
        }
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if section.starts_with("[target") && section.ends_with("dependencies]") {
            found.push(format!(
                "shared/Cargo.toml:{}: platform-specific dependency `{name}`",
                index + 1
            ));
        } else if section == "[dependencies]" && !SHARED_DEPENDENCIES.contains(&name) {
            found.push(format!(
                "shared/Cargo.toml:{}: dependency `{name}` (allowed: {SHARED_DEPENDENCIES:?})",
                index + 1
            ));
        }
    }
    for file in rust_files(&root().join("shared/src")) {
        found.extend(marks_in(&file, SHARED_FORBIDDEN));
    }
    fail_on(&found, "shared/ does no I/O and has no platform dependency");
}

#[test]
fn every_rust_file_opens_with_a_doc_comment() {
    let mut found = Vec::new();
    for folder in ["shared", "edge", "widget", "tests", "xtask"] {
        for file in rust_files(&root().join(folder)) {
            if !read(&file).starts_with("//!") {
                found.push(format!("{}:1: does not open with `//!`", relative(&file)));
            }
        }
    }
    fail_on(
        &found,
        "every .rs file opens with a `//!` line saying its role",
    );
}

#[test]
fn only_dom_js_and_dom_rs_touch_the_dom() {
    let mut found = Vec::new();
    let widget = root().join("widget");
    for file in files(&widget, &|path| {
        path.extension()
            .is_some_and(|ext| ext == "js" || ext == "rs")
    }) {
        let path = relative(&file);
        if path == "widget/src/dom.rs" || path == "widget/src/dom.js" {
            continue;
        }
        if path.ends_with(".js") {
            found.push(format!("{path}: JavaScript outside widget/src/dom.js"));
            continue;
        }
        // The browser tests drive the DOM they assert on; the shipped code may not.
        if path.starts_with("widget/tests/") {
            continue;
        }
        found.extend(marks_in(&file, DOM_MARKS));
    }
    fail_on(
        &found,
        "only widget/src/dom.js and widget/src/dom.rs touch the DOM",
    );
}

#[test]
fn no_unwrap_on_input_paths() {
    let mut found = Vec::new();
    for file in shipped_sources() {
        let text = read(&file);
        if is_test_module(&file) {
            continue;
        }
        let mut previous = "";
        for (index, line) in shipped_part(&text).lines().enumerate() {
            let code = strip_line_comment(line);
            let allowed = line.contains(UNWRAP_OK) || previous.contains(UNWRAP_OK);
            if (code.contains(".unwrap()") || code.contains(".expect(")) && !allowed {
                found.push(format!(
                    "{}:{}: {}",
                    relative(&file),
                    index + 1,
                    line.trim()
                ));
            }
            previous = line;
        }
    }
    fail_on(
        &found,
        &format!(
            "no unwrap/expect on the shipped crates' input paths; return an issue or an error, \
             or mark a line that cannot fail with `// {UNWRAP_OK}: <why>`"
        ),
    );
}

#[test]
fn every_allow_says_why() {
    let mut found = Vec::new();
    for folder in ["shared", "edge", "widget", "tests", "xtask"] {
        for file in rust_files(&root().join(folder)) {
            let text = read(&file);
            let mut previous = "";
            for (index, line) in text.lines().enumerate() {
                let attribute = line.trim_start();
                let allows = attribute.starts_with("#[allow(")
                    || attribute.starts_with("#![allow(")
                    || attribute.starts_with("#[cfg_attr(") && attribute.contains("allow(");
                let said = line.contains("//") || previous.trim_start().starts_with("//");
                if allows && !said {
                    found.push(format!("{}:{}: {}", relative(&file), index + 1, attribute));
                }
                previous = line;
            }
        }
    }
    fail_on(
        &found,
        "every `allow` says why, in a comment on its line or the line above",
    );
}

#[test]
fn architecture_names_every_module() {
    let architecture = read(&root().join("ARCHITECTURE.md"));
    let mut found = Vec::new();
    for folder in MODULE_FOLDERS {
        for file in rust_files(&root().join(folder)) {
            let path = relative(&file);
            let Some(name) = module_name(&path) else {
                continue;
            };
            let named = architecture.contains(&name) || by_pattern(&architecture, &name);
            if !named {
                found.push(format!("{path}: ARCHITECTURE.md never names `{name}`"));
            }
        }
    }
    fail_on(&found, "ARCHITECTURE.md names every module that exists");
}

#[test]
fn long_functions_say_why() {
    let mut found = Vec::new();
    let mut pending: Vec<&(&str, &str, &str)> = PENDING_SPLITS.iter().collect();
    let mut check = |path: String, text: &str, functions: Vec<(usize, usize)>| {
        for (start, length) in functions {
            if length <= LONG_FUNCTION || has_reason(text, start) {
                continue;
            }
            let name = function_name(text.lines().nth(start).unwrap_or_default());
            let before = pending.len();
            pending.retain(|(file, function, _)| !(*file == path && *function == name));
            if pending.len() == before {
                found.push(format!("{path}:{}: `{name}` has {length} lines", start + 1));
            }
        }
    };
    for folder in ["shared", "edge", "widget"] {
        for file in rust_files(&root().join(folder)) {
            let text = read(&file);
            check(relative(&file), &text, rust_functions(&text));
        }
    }
    let dom_js = root().join("widget/src/dom.js");
    let text = read(&dom_js);
    check(relative(&dom_js), &text, js_functions(&text));
    for (file, function, who) in pending {
        found.push(format!(
            "{file}: `{function}` ({who}) is short now or gone: remove it from PENDING_SPLITS"
        ));
    }
    fail_on(
        &found,
        &format!(
            "a function over {LONG_FUNCTION} lines is split into named steps, or says why it \
             must be long in a `// {LONG_REASON} ...` comment right above it"
        ),
    );
}

/// The name in a `fn name(` or `function name(` line.
fn function_name(line: &str) -> String {
    let after = line
        .split_once("fn ")
        .or_else(|| line.split_once("function "))
        .map_or("", |(_, after)| after);
    after
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Fails the test with one line per finding.
fn fail_on(found: &[String], rule: &str) {
    assert!(found.is_empty(), "\n{rule}:\n  {}\n", found.join("\n  "));
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every file below `folder` that `keep` selects, skipping build output and hidden folders.
fn files(folder: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                let skipped = ["target", "pkg", "build", "node_modules"];
                if !name.starts_with('.') && !skipped.contains(&name.as_ref()) {
                    pending.push(path);
                }
            } else if keep(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn rust_files(folder: &Path) -> Vec<PathBuf> {
    files(folder, &|path| {
        path.extension().is_some_and(|ext| ext == "rs")
    })
}

/// The sources of the crates that ship: shared/, edge/ and widget/ (their `src/`).
fn shipped_sources() -> Vec<PathBuf> {
    ["shared/src", "edge/src", "widget/src"]
        .iter()
        .flat_map(|folder| rust_files(&root().join(folder)))
        .collect()
}

/// A file whose parent declares it `#[cfg(test)] mod name;`: all of it is test code.
fn is_test_module(file: &Path) -> bool {
    let Some(stem) = file
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
    else {
        return false;
    };
    let Some(folder) = file.parent() else {
        return false;
    };
    let declaration = format!("mod {stem};");
    ["mod.rs", "lib.rs", "main.rs"].iter().any(|parent| {
        let Ok(text) = fs::read_to_string(folder.join(parent)) else {
            return false;
        };
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        lines
            .windows(2)
            .any(|pair| pair[0] == "#[cfg(test)]" && pair[1] == declaration)
    })
}

/// The part of a file before its first top-level `#[cfg(test)]` (or `#[cfg(all(test, ...))]`)
/// item (tests come last).
fn shipped_part(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_code = line.trim_end();
        if line_code == "#[cfg(test)]" || line_code.starts_with("#[cfg(all(test, ") {
            return &text[..offset];
        }
        offset += line.len();
    }
    text
}

/// A line's code, without a trailing `//` comment (good enough for the marks searched: none of
/// them holds `//` itself).
fn strip_line_comment(line: &str) -> &str {
    line.find("//").map_or(line, |at| &line[..at])
}

/// Where the code of `file` (comments left out) names one of `marks`.
fn marks_in(file: &Path, marks: &[&str]) -> Vec<String> {
    let path = relative(file);
    let mut found = Vec::new();
    for (number, line) in code_lines(file) {
        for mark in marks.iter().filter(|mark| line.contains(*mark)) {
            found.push(format!("{path}:{number}: names `{mark}`"));
        }
    }
    found
}

/// Numbered lines of a file's code, without comments (doc comments included), so prose that
/// mentions a mark does not count; string literals stay (a URL is one).
fn code_lines(file: &Path) -> Vec<(usize, String)> {
    rust_code_only(&read(file), false)
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| (index + 1, line.to_string()))
        .collect()
}

/// `text` with every comment replaced by spaces (newlines kept, so line numbers hold); with
/// `blank_strings`, string and char literals' contents too (for counting braces).
fn rust_code_only(text: &str, blank_strings: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    let blank = |out: &mut Vec<u8>, byte: u8| out.push(if byte == b'\n' { b'\n' } else { b' ' });
    while index < bytes.len() {
        let rest = &bytes[index..];
        if rest.starts_with(b"//") {
            while index < bytes.len() && bytes[index] != b'\n' {
                out.push(b' ');
                index += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            while index < bytes.len() {
                if bytes[index..].starts_with(b"/*") {
                    depth += 1;
                    out.extend_from_slice(b"  ");
                    index += 2;
                } else if bytes[index..].starts_with(b"*/") {
                    depth -= 1;
                    out.extend_from_slice(b"  ");
                    index += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, bytes[index]);
                    index += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"..." or r#"..."#, possibly b-prefixed: ends at a quote and as many hashes.
            let open = rest.iter().position(|&byte| byte == b'"').unwrap_or(0) + 1;
            out.extend_from_slice(&rest[..open]);
            index += open;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while index < bytes.len() && !bytes[index..].starts_with(&close) {
                if blank_strings {
                    blank(&mut out, bytes[index]);
                } else {
                    out.push(bytes[index]);
                }
                index += 1;
            }
            let end = (index + close.len()).min(bytes.len());
            out.extend_from_slice(&bytes[index..end]);
            index = end;
        } else if bytes[index] == b'"' {
            out.push(b'"');
            index += 1;
            while index < bytes.len() && bytes[index] != b'"' {
                let step = if bytes[index] == b'\\' { 2 } else { 1 };
                for &byte in &bytes[index..(index + step).min(bytes.len())] {
                    if blank_strings {
                        blank(&mut out, byte);
                    } else {
                        out.push(byte);
                    }
                }
                index += step;
            }
            if index < bytes.len() {
                out.push(b'"');
                index += 1;
            }
        } else if let Some(length) = char_literal_length(rest) {
            out.push(b'\'');
            out.extend(std::iter::repeat_n(b' ', length - 2));
            out.push(b'\'');
            index += length;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// With `r"`, `r#"`, `br"`...: how many `#` the raw string uses.
fn raw_string_start(rest: &[u8]) -> Option<usize> {
    let rest = rest.strip_prefix(b"b").unwrap_or(rest);
    let rest = rest.strip_prefix(b"r")?;
    let hashes = rest.iter().take_while(|&&byte| byte == b'#').count();
    (rest.get(hashes) == Some(&b'"')).then_some(hashes)
}

/// The length of a char literal at the start of `rest` (`'a'`, `'\n'`, `'\u{7f}'`, `'é'`), or
/// `None` for a lifetime.
fn char_literal_length(rest: &[u8]) -> Option<usize> {
    if rest.first() != Some(&b'\'') {
        return None;
    }
    if rest.get(1) == Some(&b'\\') {
        let close = rest[2..].iter().position(|&byte| byte == b'\'')?;
        return Some(close + 3);
    }
    // One UTF-8 character, then the closing quote.
    let first = *rest.get(1)?;
    let width = match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    (rest.get(1 + width) == Some(&b'\'')).then_some(width + 2)
}

/// Each Rust function as (index of its `fn` line, lines from there to its closing brace).
fn rust_functions(text: &str) -> Vec<(usize, usize)> {
    let code = rust_code_only(text, true);
    let lines: Vec<&str> = code.lines().collect();
    let mut functions = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        if !declares_fn(line) {
            continue;
        }
        // From the first `{` after the signature (a `;` first means no body) to its match.
        let mut depth = 0usize;
        let mut nesting = 0usize;
        let mut opened = false;
        'lines: for (offset, line) in lines[start..].iter().enumerate() {
            let line = if offset == 0 {
                &line[line.find("fn ").unwrap_or(0)..]
            } else {
                line
            };
            for byte in line.bytes() {
                match byte {
                    b'(' | b'[' if !opened => nesting += 1,
                    b')' | b']' if !opened => nesting = nesting.saturating_sub(1),
                    b';' if !opened && nesting == 0 => break 'lines,
                    b'{' => {
                        depth += 1;
                        opened = true;
                    }
                    b'}' if opened => {
                        depth -= 1;
                        if depth == 0 {
                            functions.push((start, offset + 1));
                            break 'lines;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    functions
}

/// `fn name`, after optional `pub(...)`, `const`, `async`, `unsafe`, `extern "C"` qualifiers.
fn declares_fn(line: &str) -> bool {
    let mut words = line.split_whitespace();
    for word in words.by_ref() {
        match word {
            "fn" => return true,
            "const" | "async" | "unsafe" | "extern" | "\"C\"" | "\" \"" | "default" => {}
            word if word.starts_with("pub") => {}
            _ => return false,
        }
    }
    false
}

/// Each top-level JavaScript function of a formatted file (`function` at the start of a line,
/// its body closed by a `}` alone at the start of a line).
fn js_functions(text: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut functions = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let line = line.strip_prefix("export ").unwrap_or(line);
        let line = line.strip_prefix("async ").unwrap_or(line);
        if !line.starts_with("function ") {
            continue;
        }
        if let Some(end) = lines[start..].iter().position(|line| *line == "}") {
            functions.push((start, end + 1));
        }
    }
    functions
}

/// Whether the comments and attributes right above line `start` hold a [`LONG_REASON`].
fn has_reason(text: &str, start: usize) -> bool {
    text.lines()
        .take(start)
        .collect::<Vec<_>>()
        .iter()
        .rev()
        .map(|line| line.trim())
        .take_while(|line| {
            line.starts_with("//") || line.starts_with("#[") || line.starts_with('*')
        })
        .any(|line| {
            line.trim_start_matches('/')
                .trim_start()
                .starts_with(LONG_REASON)
        })
}

/// How ARCHITECTURE.md must name the module at `path`, or `None` for a crate root.
fn module_name(path: &str) -> Option<String> {
    let (folder, file) = path.rsplit_once('/')?;
    match file {
        "lib.rs" | "main.rs" => None,
        "mod.rs" => folder.rsplit('/').next().map(|name| format!("{name}/")),
        _ => Some(file.to_string()),
    }
}

/// A module named by one of the page's backticked patterns: `edge_*` names `edge_upstream.rs`,
/// `e2e*` names `e2e.rs`, `src/bin/closem-bench-*.rs` names `closem-bench-edge.rs`.
fn by_pattern(architecture: &str, name: &str) -> bool {
    architecture
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| quoted.rsplit('/').next()?.split_once('*'))
        .any(|(prefix, suffix)| {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && (name.ends_with(suffix) || name.trim_end_matches(".rs").ends_with(suffix))
        })
}
