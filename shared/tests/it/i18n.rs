//! Messages in the visitor's language (issue 13): every message code in every language, and
//! how a language is chosen from a `lang` attribute or an `Accept-Language` header.

use closem_shared::{
    i18n::en, message, Field, IssueKind, Lang, Text, MAX_LIST_ITEMS, MAX_LONG_TEXT, MAX_TEXT,
};

#[test]
fn every_message_exists_in_every_language() {
    for (index, text) in Text::ALL.iter().enumerate() {
        assert_eq!(text.index(), index, "{text:?} out of order");
    }
    for lang in Lang::ALL {
        for text in Text::ALL {
            let words = lang.text(text);
            assert!(!words.trim().is_empty(), "{lang:?} {text:?} is empty");
            assert!(!words.ends_with(' '), "{lang:?} {text:?}");
            if lang != Lang::En {
                // A catalogue that copies English missed a translation (the codes, formats and
                // the POST method stay as they are).
                let same = words == Lang::En.text(text);
                assert!(
                    !same || text == Text::BoolFormat,
                    "{lang:?} {text:?} is English"
                );
            }
        }
    }
}

#[test]
fn field_messages_follow_the_house_style_in_every_language() {
    // Issue messages: start lowercase, no trailing period (the native pages' and the success
    // sentences are whole sentences).
    for lang in Lang::ALL {
        for text in &Text::ALL[..Text::Format.index() + 1] {
            let words = lang.text(*text);
            let first = words.chars().next().unwrap_or_default();
            // German capitalises its nouns and the polite "Sie"; its messages start with a verb.
            assert!(!first.is_uppercase(), "{lang:?} {text:?}: {words}");
            assert!(!words.ends_with('.'), "{lang:?} {text:?}: {words}");
        }
    }
}

#[test]
fn limits_quoted_in_messages_are_the_constants() {
    for lang in Lang::ALL {
        assert!(lang.text(Text::TooLong).contains(&MAX_TEXT.to_string()));
        assert!(lang
            .text(Text::LongTextTooLong)
            .contains(&MAX_LONG_TEXT.to_string()));
        assert!(lang
            .text(Text::ListTooLong)
            .contains(&MAX_LIST_ITEMS.to_string()));
    }
}

#[test]
fn english_is_what_message_says() {
    assert_eq!(
        message(Some(Field::Phone), IssueKind::Format),
        en::text(Text::PhoneFormat)
    );
    assert_eq!(
        message(Some(Field::Phone), IssueKind::Format),
        "phone must look like +1 (555) 444-3333"
    );
}

#[test]
fn language_tags() {
    let check =
        |tag: &str, expected: Option<Lang>| assert_eq!(Lang::from_tag(tag), expected, "{tag:?}");
    check("es", Some(Lang::Es));
    check("es-MX", Some(Lang::Es));
    check("pt_BR", Some(Lang::Pt));
    check("FR-ca", Some(Lang::Fr));
    check(" de ", Some(Lang::De));
    check("en-GB", Some(Lang::En));
    check("it", None);
    check("", None);
    check("esperanto", None);
    for lang in Lang::ALL {
        check(lang.code(), Some(lang));
    }
}

#[test]
fn accept_language_headers() {
    let check = |header: &str, expected: Lang| {
        assert_eq!(Lang::from_accept_language(header), expected, "{header:?}")
    };
    check("es-ES,es;q=0.9,en;q=0.8", Lang::Es);
    check("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", Lang::Fr);
    check("it-IT,it;q=0.9,de;q=0.5", Lang::De);
    check("en;q=0.5,pt;q=0.8", Lang::Pt);
    check("de;q=0,fr;q=0.1", Lang::Fr);
    check("ja", Lang::En);
    check("", Lang::En);
    check("es;q=abc", Lang::En);
}

#[cfg(feature = "config")]
#[test]
fn the_widgets_catalogues_hold_every_text_it_shows_in_order() {
    for lang in Lang::ALL {
        let json: Vec<String> = serde_json::from_str(&closem_shared::i18n::catalogue_json(lang))
            .unwrap_or_else(|error| panic!("{lang:?}: {error}"));
        assert_eq!(json.len(), Text::Success.index() + 1, "{lang:?}");
        for (index, words) in json.iter().enumerate() {
            assert_eq!(words, lang.text(Text::ALL[index]), "{lang:?} {index}");
            // Exactly the texts the widget has in English.
            assert!(en::widget_text(Text::ALL[index]).is_some(), "{index}");
        }
    }
    assert!(en::widget_text(Text::Unavailable).is_none());
}
