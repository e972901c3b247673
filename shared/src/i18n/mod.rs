//! Every human message, in the visitor's language: [`Text`] names each message once, and each
//! language has its own catalogue file (`en.rs`, `es.rs`, `fr.rs`, `de.rs`, `pt.rs`) whose
//! exhaustive `match` gives every text, so a language that lacks one does not compile. The widget
//! ships English only ([`en`]) and loads the others on demand, as JSON built from these files.

use crate::field::Field;
use crate::issue::IssueKind;
use crate::phone::PhoneRule;

mod de;
pub mod en;
mod es;
mod fr;
mod pt;

/// A language the widget and the edge speak.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
    Fr,
    De,
    Pt,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Es, Lang::Fr, Lang::De, Lang::Pt];

    /// The primary language subtag, as `lang` attributes and `Accept-Language` write it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Pt => "pt",
        }
    }

    /// A BCP 47 tag (`es`, `pt-BR`, `FR-ca`): its primary subtag, when it is a language we speak.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim();
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Lang::ALL
            .into_iter()
            .find(|lang| lang.code().eq_ignore_ascii_case(primary))
    }

    /// The language of an `Accept-Language` header: the most preferred one we speak (by `q`,
    /// first listed on ties), English when none is.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(Lang, u16)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let quality = parts
                .find_map(|part| part.trim().strip_prefix("q="))
                .map_or(1000, quality);
            if quality > 0 && best.is_none_or(|(_, known)| quality > known) {
                best = Some((lang, quality));
            }
        }
        best.map_or(Lang::En, |(lang, _)| lang)
    }

    /// The text of `message` in this language.
    pub fn text(self, message: Text) -> &'static str {
        match self {
            Lang::En => en::text(message),
            Lang::Es => es::text(message),
            Lang::Fr => fr::text(message),
            Lang::De => de::text(message),
            Lang::Pt => pt::text(message),
        }
    }
}

/// The widget's on-demand catalogue of `lang`: a JSON array of the texts the widget shows (the
/// first [`Text`]s, up to [`Text::Success`], in order), which `cargo xtask build-widget` publishes
/// as `i18n/<code>.json` beside the wasm.
pub fn catalogue_json(lang: Lang) -> alloc::string::String {
    let mut out = alloc::string::String::from("[");
    let shown = Text::ALL.iter().take(Text::Success.index() + 1);
    for (index, text) in shown.enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('"');
        for character in lang.text(*text).chars() {
            match character {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '<' => out.push_str("\\u003c"),
                other => out.push(other),
            }
        }
        out.push('"');
    }
    out.push(']');
    out
}

/// `q=0.8` as thousandths; anything unreadable counts as 0 (not acceptable).
fn quality(value: &str) -> u16 {
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let whole: u16 = match whole {
        "1" => 1000,
        "0" => 0,
        _ => return 0,
    };
    let mut thousandths = 0u16;
    let mut scale = 100;
    for byte in fraction.bytes().take(3) {
        if !byte.is_ascii_digit() {
            return 0;
        }
        thousandths += u16::from(byte - b'0') * scale;
        scale /= 10;
    }
    (whole + thousandths).min(1000)
}

/// Every message the widget and the edge show. The discriminant is the message's index in the
/// widget's on-demand catalogues (`i18n/<lang>.json`, an array in this order).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Text {
    PhoneFormat,
    PhoneInternational,
    EmailFormat,
    PhoneRequired,
    EmailRequired,
    TimestampFormat,
    TimestampRequired,
    NoteRequired,
    SequenceFormat,
    SequenceMultiple,
    SequenceRequired,
    IdsFormat,
    ListTooLong,
    LongTextTooLong,
    BoolFormat,
    TextFormat,
    ModeUnknown,
    Contact,
    Target,
    Past,
    Control,
    Conflict,
    Multiple,
    TooLong,
    Required,
    Unknown,
    Format,
    // The widget's form-level messages.
    CheckFields,
    Sending,
    Network,
    Failed,
    Queued,
    Success,
    // The edge's form-level answers.
    Unavailable,
    FormUnknown,
    MethodNotAllowed,
    OriginForbidden,
    RateLimited,
    TurnstileMissing,
    TurnstileFailed,
    NotConfigured,
    KeyReused,
    // The native post's pages.
    PageInvalid,
    PageFailed,
    PageBack,
    PageBackButton,
    ThanksTitle,
    ThanksHeading,
    ThanksBody,
}

impl Text {
    pub const ALL: [Text; 49] = {
        use Text as T;
        [
            T::PhoneFormat,
            T::PhoneInternational,
            T::EmailFormat,
            T::PhoneRequired,
            T::EmailRequired,
            T::TimestampFormat,
            T::TimestampRequired,
            T::NoteRequired,
            T::SequenceFormat,
            T::SequenceMultiple,
            T::SequenceRequired,
            T::IdsFormat,
            T::ListTooLong,
            T::LongTextTooLong,
            T::BoolFormat,
            T::TextFormat,
            T::ModeUnknown,
            T::Contact,
            T::Target,
            T::Past,
            T::Control,
            T::Conflict,
            T::Multiple,
            T::TooLong,
            T::Required,
            T::Unknown,
            T::Format,
            T::CheckFields,
            T::Sending,
            T::Network,
            T::Failed,
            T::Queued,
            T::Success,
            T::Unavailable,
            T::FormUnknown,
            T::MethodNotAllowed,
            T::OriginForbidden,
            T::RateLimited,
            T::TurnstileMissing,
            T::TurnstileFailed,
            T::NotConfigured,
            T::KeyReused,
            T::PageInvalid,
            T::PageFailed,
            T::PageBack,
            T::PageBackButton,
            T::ThanksTitle,
            T::ThanksHeading,
            T::ThanksBody,
        ]
    };

    /// The position of this message in the on-demand catalogues.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The message for an issue about `about` of `kind`, under the form's phone rule (which
    /// decides what a phone should look like).
    pub fn of(about: Option<Field>, kind: IssueKind, phone: PhoneRule) -> Text {
        use Field as F;
        use IssueKind as K;
        match (about, kind) {
            (Some(F::Phone | F::ContactPhones), K::Format) => match phone {
                PhoneRule::NorthAmerican => Text::PhoneFormat,
                PhoneRule::International { .. } => Text::PhoneInternational,
            },
            (Some(F::Email | F::ContactEmails), K::Format) => Text::EmailFormat,
            (Some(F::Phone), K::Required) => Text::PhoneRequired,
            (Some(F::Email), K::Required) => Text::EmailRequired,
            (Some(F::AppointmentTimestamp), K::Format) => Text::TimestampFormat,
            (Some(F::AppointmentTimestamp), K::Required) => Text::TimestampRequired,
            (Some(F::AppointmentNote), K::Required) => Text::NoteRequired,
            (Some(F::SequenceId), K::Format) => Text::SequenceFormat,
            (Some(F::SequenceId), K::Multiple) => Text::SequenceMultiple,
            (Some(F::SequenceId), K::Required) => Text::SequenceRequired,
            (Some(F::Tags | F::ContactLists), K::Format) => Text::IdsFormat,
            (Some(F::Tags | F::ContactLists | F::ContactEmails | F::ContactPhones), K::TooLong) => {
                Text::ListTooLong
            }
            (Some(F::Notes | F::AppointmentNote), K::TooLong) => Text::LongTextTooLong,
            (Some(F::Upsert), K::Format) => Text::BoolFormat,
            (
                Some(
                    F::FullName
                    | F::FirstName
                    | F::LastName
                    | F::Notes
                    | F::Address
                    | F::City
                    | F::State
                    | F::Zip
                    | F::AppointmentNote,
                ),
                K::Format,
            ) => Text::TextFormat,
            (Some(F::Mode), K::Required | K::Unknown) => Text::ModeUnknown,
            (_, K::Contact) => Text::Contact,
            (_, K::Target) => Text::Target,
            (_, K::Past) => Text::Past,
            (_, K::Control) => Text::Control,
            (_, K::Conflict) => Text::Conflict,
            (_, K::Multiple) => Text::Multiple,
            (_, K::TooLong) => Text::TooLong,
            (_, K::Required) => Text::Required,
            (_, K::Unknown) => Text::Unknown,
            (_, K::Format) => Text::Format,
        }
    }
}
