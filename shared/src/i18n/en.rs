//! The English catalogue: every [`Text`] in English, the widget's built-in language. The texts
//! the widget shows are apart from the edge's, so the widget's download carries only its own.

use super::Text;

/// The English text of `message`.
pub fn text(message: Text) -> &'static str {
    widget_text(message).unwrap_or_else(|| edge_text(message))
}

/// The English texts the widget shows: the issues' messages and its form-level ones.
pub fn widget_text(message: Text) -> Option<&'static str> {
    Some(match message {
            Text::PhoneFormat => "phone must look like +1 (555) 444-3333",
            Text::PhoneInternational => "enter the phone number with its country code, like +44 20 7946 0958",
            Text::EmailFormat => "enter an email address like name@example.com",
            Text::PhoneRequired => "enter a phone number",
            Text::EmailRequired => "enter an email address",
            Text::TimestampFormat => "use MM/DD/YYYY HH:MM AM or a UNIX timestamp",
            Text::TimestampRequired => "choose a time for the appointment",
            Text::NoteRequired => "enter a note for the appointment",
            Text::SequenceFormat => "use one numeric sequence id",
            Text::SequenceMultiple => "use only one sequence id",
            Text::SequenceRequired => "choose the sequence to run",
            Text::IdsFormat => "use numeric ids separated by commas",
            Text::ListTooLong => "list at most 100 items",
            Text::LongTextTooLong => "shorten this to 2000 characters or fewer",
            Text::BoolFormat => "use true or false",
            Text::TextFormat => "remove the invisible control characters from this text",
            Text::ModeUnknown => "use mode addcontact, runsequence or scheduleappointment",
            Text::Contact => "enter a phone number or an email address",
            Text::Target => "name a contact email, contact phone, contact list or tag",
            Text::Past => "choose a time in the future",
            Text::Control => "remove this field: the form's settings decide it",
            Text::Conflict => "give this field one value only",
            Text::Multiple => "give one value only",
            Text::TooLong => "shorten this to 256 characters or fewer",
            Text::Required => "fill in this field",
            Text::Unknown => "choose one of the offered values",
            Text::Format => "check the format of this value",
            Text::CheckFields => "check the highlighted fields",
            Text::Sending => "sending…",
            Text::Network => "the form could not be sent: check your connection and try again",
            Text::Failed => "the form could not be sent: please try again",
            Text::Queued => "the form could not be sent yet: it is saved and will be sent when the connection is back",
            Text::Success => "Thank you! Your message has been sent.",
        _ => return None,
    })
}

/// The English texts only the edge writes (its answers and the native post's pages); the test of
/// every message in every language checks that none is missing.
fn edge_text(message: Text) -> &'static str {
    match message {
        Text::Unavailable => "the form could not be sent just now: please try again in a minute",
        Text::FormUnknown => "there is no form with this id",
        Text::MethodNotAllowed => "send the form with POST",
        Text::OriginForbidden => "this site is not allowed to send this form",
        Text::RateLimited => "too many forms were sent from your network just now: wait a minute and send it again",
        Text::TurnstileMissing => "complete the anti-bot check, then send the form again",
        Text::TurnstileFailed => "the anti-bot check did not pass: complete it again, then send the form again",
        Text::NotConfigured => "this form service is not configured yet: the site owner can see why at /health",
        Text::KeyReused => "this idempotency key was sent before with other fields: send an edited form with a new key",
        Text::PageInvalid => "Please check the form",
        Text::PageFailed => "The form could not be sent",
        Text::PageBack => "Go back to the form",
        Text::PageBackButton => "Use your browser's back button to return to the form.",
        Text::ThanksTitle => "Thank you",
        Text::ThanksHeading => "Thank you!",
        Text::ThanksBody => "Your details were received. We will be in touch soon.",
        _ => "",
    }
}
