//! CLOSEM's field names, every documented alias, and the request modes.

/// A field CLOSEM accepts, whichever documented alias names it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Field {
    Mode,
    Upsert,
    Phone,
    Email,
    FullName,
    FirstName,
    LastName,
    Notes,
    Address,
    City,
    State,
    Zip,
    Tags,
    ContactLists,
    SequenceId,
    ContactEmails,
    ContactPhones,
    AppointmentNote,
    AppointmentTimestamp,
    Auth,
    M,
}

/// Autofill field names (HTML standard, "Autofill") that hint a CLOSEM field.
const AUTOCOMPLETE: [(&str, Field); 11] = [
    ("email", Field::Email),
    ("tel", Field::Phone),
    ("tel-national", Field::Phone),
    ("name", Field::FullName),
    ("given-name", Field::FirstName),
    ("family-name", Field::LastName),
    ("street-address", Field::Address),
    ("address-line1", Field::Address),
    ("address-level2", Field::City),
    ("address-level1", Field::State),
    ("postal-code", Field::Zip),
];

/// Which CLOSEM field a form control feeds, by one precedence that the widget and the edge share,
/// strongest first:
///
/// 1. an explicit hint, `data-closem-field="email"` on the control (the site owner's word about
///    this very control);
/// 2. the profile's `fields` mapping of its name (the operator's word, known at the edge only);
/// 3. its name, when it is a documented CLOSEM field name or alias;
/// 4. its `autocomplete` token (the browser's autofill vocabulary: a good guess, the weakest).
///
/// A hint or token that names no CLOSEM field counts as absent. Whether the field may come from a
/// visitor at all (control fields may not) is decided after this, by the profile.
pub fn resolve_field(
    hint: Option<&str>,
    mapped: Option<Field>,
    name: &str,
    autocomplete: Option<&str>,
) -> Option<Field> {
    hint.and_then(Field::from_name)
        .or(mapped)
        .or_else(|| Field::from_name(name))
        .or_else(|| autocomplete.and_then(Field::from_autocomplete))
}

impl Field {
    /// Every field, in the order CLOSEM's reference introduces them.
    pub const ALL: [Field; 21] = [
        Field::Mode,
        Field::Upsert,
        Field::Phone,
        Field::Email,
        Field::FullName,
        Field::FirstName,
        Field::LastName,
        Field::Notes,
        Field::Address,
        Field::City,
        Field::State,
        Field::Zip,
        Field::Tags,
        Field::ContactLists,
        Field::SequenceId,
        Field::ContactEmails,
        Field::ContactPhones,
        Field::AppointmentNote,
        Field::AppointmentTimestamp,
        Field::Auth,
        Field::M,
    ];

    /// The first name the reference gives, which is what the edge forwards.
    pub fn canonical(self) -> &'static str {
        self.aliases()[0]
    }

    /// Every documented name for the field, canonical name first.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Mode => &["mode"],
            Field::Upsert => &["upsert"],
            Field::Phone => &["phone", "phonenumber", "number", "phone_number"],
            Field::Email => &["email", "mail", "emailaddress", "email_address"],
            Field::FullName => &["fullname", "name", "full_name"],
            Field::FirstName => &["firstname", "first", "first_name"],
            Field::LastName => &["lastname", "last", "last_name"],
            Field::Notes => &["notes", "note"],
            Field::Address => &["address", "street"],
            Field::City => &["city"],
            Field::State => &["state"],
            Field::Zip => &["zip", "zip_code", "zipcode"],
            Field::Tags => &["tags", "tag"],
            Field::ContactLists => &[
                "contactlists",
                "contactlist",
                "contact_lists",
                "contact_list",
            ],
            Field::SequenceId => &["sequence_id"],
            Field::ContactEmails => &["contact_emails"],
            Field::ContactPhones => &["contact_phones"],
            Field::AppointmentNote => &["appointment_note"],
            Field::AppointmentTimestamp => &["appointment_timestamp"],
            Field::Auth => &["auth"],
            Field::M => &["m"],
        }
    }

    /// Looks a form input name up among all aliases; HTML authors capitalise freely.
    pub fn from_name(name: &str) -> Option<Field> {
        let name = name.trim();
        Field::ALL.into_iter().find(|field| {
            field
                .aliases()
                .iter()
                .any(|alias| alias.eq_ignore_ascii_case(name))
        })
    }

    /// The field an HTML `autocomplete` token names (the standard's autofill field names:
    /// `email`, `tel`, `name`, `given-name`, ...), reading past the optional `section-*`,
    /// `shipping`/`billing` and `home`/`work`/`mobile` tokens before it and `webauthn` after it.
    /// `off`, `on` and the names CLOSEM has no field for give `None`.
    pub fn from_autocomplete(tokens: &str) -> Option<Field> {
        let name = tokens
            .split_ascii_whitespace()
            .rfind(|token| !token.eq_ignore_ascii_case("webauthn"))?;
        AUTOCOMPLETE
            .iter()
            .find(|(token, _)| token.eq_ignore_ascii_case(name))
            .map(|&(_, field)| field)
    }

    /// What the field is for: the one place the classes are listed. The rules that differ by
    /// class (what a visitor may send, what a mode uses, how text is limited, which message a
    /// problem gets) ask this, or the predicates below, instead of listing fields again.
    pub fn class(self) -> Class {
        use Field as F;
        match self {
            F::Mode
            | F::Upsert
            | F::Tags
            | F::ContactLists
            | F::SequenceId
            | F::ContactEmails
            | F::ContactPhones
            | F::Auth
            | F::M => Class::Control,
            F::Phone | F::Email => Class::Contact,
            F::FullName | F::FirstName | F::LastName | F::Notes => Class::Contact,
            F::Address | F::City | F::State | F::Zip => Class::Contact,
            F::AppointmentNote | F::AppointmentTimestamp => Class::Appointment,
        }
    }

    /// Control fields decide what CLOSEM does (mode, targets, credentials), so only the
    /// server-side profile may set them, never a visitor.
    pub fn is_control(self) -> bool {
        self.class() == Class::Control
    }

    /// List fields take comma-separated values, and repeated inputs add up instead of conflicting.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Field::Tags | Field::ContactLists | Field::ContactEmails | Field::ContactPhones
        )
    }

    /// Free text a person types (names, address parts, the notes): every field a visitor fills
    /// in but the phone, the email and the appointment time, which have their own formats.
    pub fn is_text(self) -> bool {
        !self.is_control()
            && !matches!(
                self,
                Field::Phone | Field::Email | Field::AppointmentTimestamp
            )
    }

    /// The notes: free text that may hold tabs and line breaks, up to the longer length.
    pub fn is_multiline(self) -> bool {
        matches!(self, Field::Notes | Field::AppointmentNote)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The classes of [`Field::class`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Class {
    /// Only the profile sets it: mode, upsert, targets (tags, lists, sequence, contacts), `auth`.
    Control,
    /// About the contact: phone, email, name, notes, address (addcontact's fields).
    Contact,
    /// About the appointment: its note and time (scheduleappointment's own fields).
    Appointment,
}

/// What a request asks CLOSEM to do.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Mode {
    AddContact,
    RunSequence,
    ScheduleAppointment,
}

impl Mode {
    pub const ALL: [Mode; 3] = [
        Mode::AddContact,
        Mode::RunSequence,
        Mode::ScheduleAppointment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::AddContact => "addcontact",
            Mode::RunSequence => "runsequence",
            Mode::ScheduleAppointment => "scheduleappointment",
        }
    }

    /// Trimmed and ASCII case-insensitive, like field names.
    pub fn parse(value: &str) -> Option<Mode> {
        let value = value.trim();
        Mode::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(value))
    }
}
