//! JSON with comments (wrangler.jsonc) turned into JSON, and the line of every key in a JSON text,
//! by the paths shared/'s config errors use (`contact`, `contact.fields.your-email`,
//! `contact.tags[1]`), so `cargo xtask check` can say where a problem is.

/// JSONC as wrangler reads it, made JSON: comments and trailing commas become blanks, so every
/// line and column stays where it was.
pub(crate) fn without_comments(text: &str) -> String {
    without_trailing_commas(&only_code(text))
}

/// A comma whose next non-blank character closes an object or array is dropped (JSONC allows it).
fn without_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = bytes[at + 1..]
                .iter()
                .find(|byte| !byte.is_ascii_whitespace());
            if matches!(next, Some(b'}' | b']')) {
                out.push(' ');
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Drops `//` and `/* */` comments outside strings, keeping every newline.
fn only_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => while chars.next_if(|&next| next != '\n').is_some() {},
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for next in chars.by_ref() {
                    if last == '*' && next == '/' {
                        break;
                    }
                    if next == '\n' {
                        out.push('\n');
                    }
                    last = next;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Where each key and array item starts, and the keys an object repeats.
#[derive(Default, Debug)]
pub(crate) struct Positions {
    /// (path, 1-based line) of every object key and array item.
    entries: Vec<(String, usize)>,
    /// (path, line of the first, line of the repetition).
    pub(crate) duplicates: Vec<(String, usize, usize)>,
}

impl Positions {
    /// Indexes a JSON text that `serde_json` accepted (on anything else it stops early, and the
    /// lines it found are still right).
    pub(crate) fn of(text: &str) -> Positions {
        let mut scan = Scan {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
            found: Positions::default(),
        };
        scan.value("");
        scan.found
    }

    /// The line of `path`, or of its nearest ancestor that is in the text (a missing key is
    /// reported where its profile starts); 1 when nothing matches.
    pub(crate) fn line(&self, path: &str) -> usize {
        let mut path = path;
        loop {
            if let Some((_, line)) = self.entries.iter().find(|(known, _)| known == path) {
                return *line;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return 1,
            }
        }
    }
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
    found: Positions,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line += 1;
        }
        self.at += 1;
    }

    fn blank(&mut self) {
        while self.peek().is_some_and(|byte| byte.is_ascii_whitespace()) {
            self.bump();
        }
    }

    fn value(&mut self, path: &str) {
        self.blank();
        match self.peek() {
            Some(b'{') => self.object(path),
            Some(b'[') => self.array(path),
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while self.peek().is_some_and(|byte| {
                    !matches!(byte, b',' | b'}' | b']') && !byte.is_ascii_whitespace()
                }) {
                    self.bump();
                }
            }
            None => {}
        }
    }

    /// A string token, decoded (by serde_json, so escapes mean what they mean to the parser).
    fn string(&mut self) -> String {
        let start = self.at;
        self.bump();
        while let Some(byte) = self.peek() {
            self.bump();
            match byte {
                b'\\' => self.bump(),
                b'"' => break,
                _ => {}
            }
        }
        let raw = String::from_utf8_lossy(&self.bytes[start..self.at.min(self.bytes.len())]);
        serde_json::from_str(&raw).unwrap_or_default()
    }

    fn object(&mut self, path: &str) {
        self.bump();
        let mut seen: Vec<(String, usize)> = Vec::new();
        loop {
            self.blank();
            match self.peek() {
                Some(b'"') => {}
                Some(b'}') => {
                    self.bump();
                    return;
                }
                _ => return,
            }
            let line = self.line;
            let key = self.string();
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match seen.iter().find(|(known, _)| *known == key) {
                Some((_, first)) => self.found.duplicates.push((child.clone(), *first, line)),
                None => {
                    self.found.entries.push((child.clone(), line));
                    seen.push((key, line));
                }
            }
            self.blank();
            if self.peek() != Some(b':') {
                return;
            }
            self.bump();
            self.value(&child);
            self.blank();
            if self.peek() == Some(b',') {
                self.bump();
            }
        }
    }

    fn array(&mut self, path: &str) {
        self.bump();
        let mut index = 0;
        loop {
            self.blank();
            match self.peek() {
                Some(b']') => {
                    self.bump();
                    return;
                }
                None => return,
                Some(_) => {}
            }
            let child = format!("{path}[{index}]");
            self.found.entries.push((child.clone(), self.line));
            self.value(&child);
            index += 1;
            self.blank();
            if self.peek() == Some(b',') {
                self.bump();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{without_comments, Positions};

    #[test]
    fn comments_go_and_lines_stay() {
        let text = "{\n  // one\n  \"a\": \"http://x\", /* two\n three */ \"b\": [1, \"a,]\",],\n}";
        let json = without_comments(text);
        assert_eq!(json.lines().count(), text.lines().count());
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value["a"], "http://x");
        assert_eq!(value["b"], serde_json::json!([1, "a,]"]));
        assert_eq!(Positions::of(&json).line("b"), 4);
    }

    #[test]
    fn keys_and_items_are_found_by_path() {
        let text = "{\n \"c\": {\n  \"tags\": [\n   1,\n   \"x\"\n  ],\n  \"fields\": { \"a.b\": \"email\" }\n }\n}";
        let positions = Positions::of(text);
        let cases = [
            ("c", 2),
            ("c.tags", 3),
            ("c.tags[1]", 5),
            ("c.fields.a.b", 7),
            ("c.missing", 2),
            ("nothing", 1),
        ];
        for (path, line) in cases {
            assert_eq!(positions.line(path), line, "{path}");
        }
        assert!(positions.duplicates.is_empty());
    }
}
