//! A small HTML scanner for the doctor: the start and end tags of a page with their attributes
//! and lines, as the site owner wrote them. It skips comments, doctypes and the text of `script`,
//! `style`, `textarea` and `title` (so markup inside a script string is not taken for the page's),
//! lowercases tag and attribute names and decodes the common character references in values.
//! It does not build a tree or run scripts: forms that JavaScript builds are not seen.

/// One tag of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    /// Lowercase tag name.
    pub(crate) name: String,
    /// `</name>`.
    pub(crate) closing: bool,
    /// Lowercase attribute names with their decoded values (`""` for a bare attribute).
    pub(crate) attributes: Vec<(String, String)>,
    /// 1-based line where the tag starts.
    pub(crate) line: usize,
}

impl Tag {
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every tag in `html`, in order.
pub(crate) fn tags(html: &str) -> Vec<Tag> {
    let mut scanner = Scanner {
        text: html,
        at: 0,
        tags: Vec::new(),
    };
    scanner.run();
    scanner.tags
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
    tags: Vec<Tag>,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn line(&self) -> usize {
        1 + self.text[..self.at].matches('\n').count()
    }

    /// Moves past the next `end` (ASCII case-insensitive), or to the end of the text.
    fn skip_past(&mut self, end: &str) {
        let rest = self.rest().to_ascii_lowercase();
        self.at += rest.find(end).map_or(rest.len(), |found| found + end.len());
    }

    fn run(&mut self) {
        while let Some(found) = self.rest().find('<') {
            self.at += found;
            let rest = self.rest();
            if rest.starts_with("<!--") {
                self.skip_past("-->");
            } else if rest.starts_with("<!") || rest.starts_with("<?") {
                self.skip_past(">");
            } else if rest.starts_with("</") {
                self.tag(true);
            } else if rest[1..].starts_with(|c: char| c.is_ascii_alphabetic()) {
                self.tag(false);
            } else {
                self.at += 1;
            }
        }
    }

    fn tag(&mut self, closing: bool) {
        let line = self.line();
        self.at += if closing { 2 } else { 1 };
        let name = self.word();
        let mut attributes = Vec::new();
        loop {
            self.blank();
            let rest = self.rest();
            if rest.is_empty() {
                break;
            }
            if rest.starts_with('>') {
                self.at += 1;
                break;
            }
            if rest.starts_with("/>") {
                self.at += 2;
                break;
            }
            let key = self.word();
            if key.is_empty() {
                // A stray character such as `/` or a quote: step over it.
                self.at += self.rest().chars().next().map_or(1, char::len_utf8);
                continue;
            }
            self.blank();
            let value = if self.rest().starts_with('=') {
                self.at += 1;
                self.blank();
                self.value()
            } else {
                String::new()
            };
            attributes.push((key, decode(&value)));
        }
        let raw_text =
            !closing && matches!(name.as_str(), "script" | "style" | "textarea" | "title");
        self.tags.push(Tag {
            name: name.clone(),
            closing,
            attributes,
            line,
        });
        if raw_text {
            let end = format!("</{name}");
            let rest = self.rest().to_ascii_lowercase();
            self.at += rest.find(&end).unwrap_or(rest.len());
        }
    }

    fn blank(&mut self) {
        let skipped = self.rest().len() - self.rest().trim_start().len();
        self.at += skipped;
    }

    /// A tag or attribute name, lowercased.
    fn word(&mut self) -> String {
        let rest = self.rest();
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '>' | '/' | '=' | '"' | '\'' | '<'))
            .unwrap_or(rest.len());
        let word = rest[..end].to_ascii_lowercase();
        self.at += end;
        word
    }

    fn value(&mut self) -> String {
        let rest = self.rest();
        if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let body = &rest[1..];
            let end = body.find(quote).unwrap_or(body.len());
            let value = body[..end].to_owned();
            self.at += 1 + end + usize::from(end < body.len());
            return value;
        }
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>')
            .unwrap_or(rest.len());
        let value = rest[..end].to_owned();
        self.at += end;
        value
    }
}

/// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric references.
fn decode(value: &str) -> String {
    if !value.contains('&') {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|&end| end <= 10);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::tags;

    #[test]
    fn tags_attributes_and_lines_as_written() {
        let page = "<!doctype html>\n<!-- <form data-closem=\"no\"> -->\n<FORM Data-Closem='a' action=/f/a novalidate>\n<input name=\"x&amp;y\" type=email><textarea name=t><b>not a tag</b></textarea>\n<script>var s = '<form data-closem=\"js\">';</script></form>";
        let found: Vec<(String, bool, usize)> = tags(page)
            .into_iter()
            .map(|tag| (tag.name, tag.closing, tag.line))
            .collect();
        assert_eq!(
            found,
            [
                ("form".into(), false, 3),
                ("input".into(), false, 4),
                ("textarea".into(), false, 4),
                ("textarea".into(), true, 4),
                ("script".into(), false, 5),
                ("script".into(), true, 5),
                ("form".into(), true, 5),
            ]
        );
        let all = tags(page);
        assert_eq!(all[0].attribute("data-closem"), Some("a"));
        assert_eq!(all[0].attribute("action"), Some("/f/a"));
        assert_eq!(all[0].attribute("novalidate"), Some(""));
        assert_eq!(all[1].attribute("name"), Some("x&y"));
        assert_eq!(all[1].attribute("type"), Some("email"));
    }
}
