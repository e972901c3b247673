//! The small HTML pages a native (no-JavaScript) post lands on: thanks, and the list of problems,
//! in the visitor's language.

use closem_shared::{Lang, Text};

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn page(title: &str, body: &str, lang: Lang) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
<style>body{{font:17px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1f24}}\
h1{{font-size:1.5rem}}li{{margin:.4rem 0}}code{{background:#f1f3f5;padding:0 .25rem;border-radius:3px}}\
a{{color:#0b5cad}}</style></head><body>{body}</body></html>",
        title = escape(title),
        lang = lang.code()
    )
}

/// The hosted thank-you page, for profiles without a `redirect`.
pub(crate) fn thanks(lang: Lang) -> String {
    page(
        lang.text(Text::ThanksTitle),
        &format!(
            "<main><h1>{}</h1><p>{}</p><p>{}</p></main>",
            escape(lang.text(Text::ThanksHeading)),
            escape(lang.text(Text::ThanksBody)),
            escape(lang.text(Text::PageBackButton)),
        ),
        lang,
    )
}

/// One line of the problem list: which field (when there is one) and what to do.
pub(crate) struct Line<'a> {
    pub field: Option<&'a str>,
    pub message: &'a str,
}

/// The page listing every problem with a way back. `back` is the page the form was on, when the
/// browser said so (Referer) and it is an http(s) URL.
pub(crate) fn problems(heading: Text, lines: &[Line], back: Option<&str>, lang: Lang) -> String {
    let heading = lang.text(heading);
    let mut items = String::new();
    for line in lines {
        items.push_str("<li>");
        if let Some(field) = line.field {
            items.push_str(&format!("<code>{}</code>: ", escape(field)));
        }
        items.push_str(&escape(line.message));
        items.push_str("</li>");
    }
    let back = match back {
        Some(url) => format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape(url),
            escape(lang.text(Text::PageBack))
        ),
        None => format!("<p>{}</p>", escape(lang.text(Text::PageBackButton))),
    };
    page(
        heading,
        &format!(
            "<main><h1>{}</h1><ul>{items}</ul>{back}</main>",
            escape(heading)
        ),
        lang,
    )
}

#[cfg(test)]
mod tests {
    use super::{escape, problems, thanks, Line};
    use closem_shared::{Lang, Text};

    #[test]
    fn escapes_everything_a_visitor_can_type() {
        assert_eq!(
            escape("<script>\"x\" & 'y'"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
        let html = problems(
            Text::PageInvalid,
            &[Line {
                field: Some("<b>"),
                message: "phone must look like +1 (555) 444-3333",
            }],
            Some("https://site.example/?a=\"><script>"),
            Lang::En,
        );
        assert!(!html.contains("<b>"));
        assert!(!html.contains("\"><script>"));
        assert!(html.contains("phone must look like"));
    }

    #[test]
    fn pages_speak_the_visitors_language() {
        let html = problems(Text::PageInvalid, &[], None, Lang::Es);
        assert!(html.contains("<html lang=\"es\">"), "{html}");
        assert!(html.contains("Revisa el formulario"), "{html}");
        assert!(thanks(Lang::De).contains("Vielen Dank!"));
        assert!(thanks(Lang::En).contains("Thank you!"));
    }
}
