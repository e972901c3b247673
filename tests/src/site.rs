//! A customer's site: a static server on its own origin (`http://localhost:PORT`, while the worker
//! is `http://127.0.0.1:PORT`), serving pages that embed the widget from the worker the way every
//! real site does. Pages are templates: `{{FORMS}}` becomes the worker's origin, `{{VERSION}}` and
//! `{{INTEGRITY}}` the built widget's version and the integrity value of its `closem.js`, and
//! `{{WASM_INTEGRITY}}` that of its wasm (all from
//! `target/widget-release.txt`, written by `cargo xtask build-widget`). Besides the files, it
//! serves the embed pages of `embed.rs` at their paths, as if they were files of the folder. A page
//! `x.html` with a sibling `x.html.csp` is served with that file's text (templated too) as its
//! Content-Security-Policy header. Any POST is answered 200 and recorded: it stands for a
//! builder's own endpoint (Contact Form 7's REST route, a theme's action).
//!
//! It also serves the built widget itself (`/closem.js`, `/v/...`) for pages that load it from the
//! site, so a test can hold its wasm back ([`Site::hold_wasm`]) and watch the widget start.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use crate::embed;
use crate::workerd::workspace_root;

/// A POST the site itself received.
#[derive(Clone, Debug)]
pub struct SitePost {
    pub path: String,
    pub body: String,
}

/// What the templates are filled with.
#[derive(Clone)]
struct Values {
    forms: String,
    version: String,
    integrity: String,
    wasm_integrity: String,
}

/// Whether requests for the widget's wasm are answered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Wasm {
    Served,
    /// Answered once [`Site::release_wasm`] is called.
    Held,
    /// Never answered while the test runs.
    Withheld,
}

pub struct Site {
    port: u16,
    values: Arc<RwLock<Values>>,
    posts: Arc<Mutex<Vec<SitePost>>>,
    wasm: Arc<(Mutex<Wasm>, Condvar)>,
}

impl Site {
    /// Serves `dir` (relative to the workspace root) on a free port until the test binary exits;
    /// the pages embed the widget from the origin given to [`Site::embed_from`] (the worker is
    /// started after the site, since its profiles allow the site's origin). Panics when the widget
    /// was not built: the pages cannot be filled in without it.
    pub fn serve(dir: &str) -> Site {
        Site::serve_on(dir, 0).expect("bind the site's port on 127.0.0.1")
    }

    /// [`Site::serve`] on a given port (0: any free one); fails when the port is taken.
    pub fn serve_on(dir: &str, port: u16) -> std::io::Result<Site> {
        let root = workspace_root();
        let release = std::fs::read_to_string(root.join("target/widget-release.txt"))
            .expect("target/widget-release.txt is missing: run `cargo xtask build-widget`");
        let mut lines = release.lines();
        let values = Arc::new(RwLock::new(Values {
            forms: String::new(),
            version: lines.next().unwrap_or_default().to_string(),
            integrity: lines.next().unwrap_or_default().to_string(),
            wasm_integrity: lines.next().unwrap_or_default().to_string(),
        }));
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let posts = Arc::new(Mutex::new(Vec::new()));
        let dir = root.join(dir);
        let recorded = Arc::clone(&posts);
        let shared = Arc::clone(&values);
        let wasm = Arc::new((Mutex::new(Wasm::Served), Condvar::new()));
        let gate = Arc::clone(&wasm);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (dir, values, recorded, gate) = (
                    dir.clone(),
                    Arc::clone(&shared),
                    Arc::clone(&recorded),
                    Arc::clone(&gate),
                );
                std::thread::spawn(move || {
                    let values = values.read().map(|values| values.clone()).ok();
                    if let Some(values) = values {
                        answer(stream, &dir, &values, &recorded, &gate);
                    }
                });
            }
        });
        Ok(Site {
            port,
            values,
            posts,
            wasm,
        })
    }

    /// Holds back (or withholds for good) every answer to a request for the widget's wasm.
    pub fn hold_wasm(&self, wasm: Wasm) {
        if let Ok(mut state) = self.wasm.0.lock() {
            *state = wasm;
        }
        self.wasm.1.notify_all();
    }

    /// Answers the wasm requests held so far and all later ones.
    pub fn release_wasm(&self) {
        self.hold_wasm(Wasm::Served);
    }

    /// The forms host the pages load the widget from and post to: the worker's origin.
    pub fn embed_from(&self, forms_origin: &str) {
        if let Ok(mut values) = self.values.write() {
            values.forms = forms_origin.trim_end_matches('/').to_string();
        }
    }

    /// The site's origin: `localhost`, so the page and the worker (on 127.0.0.1) are different
    /// sites, not just different origins.
    pub fn origin(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// Every POST the site received so far.
    pub fn posts(&self) -> Vec<SitePost> {
        self.posts
            .lock()
            .map(|posts| posts.clone())
            .unwrap_or_default()
    }
}

fn answer(
    mut stream: TcpStream,
    dir: &Path,
    values: &Values,
    posts: &Mutex<Vec<SitePost>>,
    wasm: &(Mutex<Wasm>, Condvar),
) {
    let Some((mut reader, head)) = read_head(&stream) else {
        return;
    };
    let length = head
        .header("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0usize);
    let path = head.path().to_string();
    if head.method == "POST" {
        let mut body = vec![0; length.min(1 << 20)];
        let _ = reader.read_exact(&mut body);
        if let Ok(mut posts) = posts.lock() {
            posts.push(SitePost {
                path,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
        respond(&mut stream, 200, "application/json", "", b"{\"ok\":true}");
        return;
    }
    if path == "/closem.js" || path.starts_with("/v/") {
        return widget_file(&mut stream, &path, wasm);
    }
    let Some(file) = page_path(dir, &path) else {
        respond(&mut stream, 404, "text/plain", "", b"not found");
        return;
    };
    let text = match embed::page(&path) {
        Some(page) => page,
        None if file.is_file() => std::fs::read_to_string(&file).unwrap_or_default(),
        None => {
            respond(&mut stream, 404, "text/plain", "", b"not found");
            return;
        }
    };
    let csp = std::fs::read_to_string(file.with_extension("html.csp"))
        .map(|policy| fill(policy.trim(), values))
        .unwrap_or_default();
    let kind = match file.extension().and_then(|ext| ext.to_str()) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "text/html; charset=utf-8",
    };
    respond(&mut stream, 200, kind, &csp, fill(&text, values).as_bytes());
}

/// A request's line and headers, as the tests' little servers read them.
pub struct RequestHead {
    pub method: String,
    pub target: String,
    /// Names in lower case, values trimmed, in the order sent.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    /// The target without its query or fragment.
    pub fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or("/")
    }
}

/// Reads the head of the request on `stream`; the reader it returns is left at the body. `None`
/// when the connection breaks before the request line.
pub fn read_head(stream: &TcpStream) -> Option<(BufReader<TcpStream>, RequestHead)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    Some((
        reader,
        RequestHead {
            method,
            target,
            headers,
        },
    ))
}

/// One of the built widget's files, from `widget/pkg`; the wasm waits while it is held.
fn widget_file(stream: &mut TcpStream, path: &str, wasm: &(Mutex<Wasm>, Condvar)) {
    let pkg = workspace_root().join("widget/pkg");
    let Some(file) = page_path(&pkg, path).filter(|file| file.is_file()) else {
        respond(stream, 404, "text/plain", "", b"not found");
        return;
    };
    let is_wasm = path.ends_with(".wasm");
    if is_wasm {
        let (state, changed) = wasm;
        let Ok(mut state) = state.lock() else { return };
        while *state != Wasm::Served {
            state = match changed.wait(state) {
                Ok(state) => state,
                Err(_) => return,
            };
        }
    }
    let kind = if is_wasm {
        "application/wasm"
    } else {
        "text/javascript; charset=utf-8"
    };
    respond(
        stream,
        200,
        kind,
        "",
        &std::fs::read(file).unwrap_or_default(),
    );
}

/// The file for a URL path, never outside `dir`; `/` is `index.html`.
fn page_path(dir: &Path, path: &str) -> Option<PathBuf> {
    let relative = path.trim_start_matches('/');
    if relative
        .split('/')
        .any(|part| part == ".." || part.starts_with('.'))
    {
        return None;
    }
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    Some(dir.join(relative))
}

fn fill(text: &str, values: &Values) -> String {
    text.replace("{{FORMS}}", &values.forms)
        .replace("{{VERSION}}", &values.version)
        .replace("{{INTEGRITY}}", &values.integrity)
        .replace("{{WASM_INTEGRITY}}", &values.wasm_integrity)
}

fn respond(stream: &mut TcpStream, status: u16, kind: &str, csp: &str, body: &[u8]) {
    let reason = if status == 200 { "OK" } else { "Not Found" };
    let policy = if csp.is_empty() {
        String::new()
    } else {
        format!("Content-Security-Policy: {csp}\r\n")
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{policy}Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}
