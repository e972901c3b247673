//! Properties over generated input: no panics, stable normalisation, encode/parse round trips.

use closem_shared::{
    check_value, check_visitor_value, parse, parse_for_mode, AddContact, Contact, Email, Field, Id,
    IdList, Mode, Name, Phone, RunSequence, ScheduleAppointment, Submission, Targets,
};
use proptest::prelude::*;

use crate::{ctx, NOW};

/// Names that hit every field's aliases, plus anything at all.
fn name() -> impl Strategy<Value = String> {
    let aliases: Vec<String> = Field::ALL
        .iter()
        .flat_map(|field| field.aliases().iter().map(|alias| alias.to_string()))
        .collect();
    prop_oneof![proptest::sample::select(aliases), any::<String>()]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        "[0-9+() ./:,@a-zA-Z-]{0,40}",
        "(0?[0-9]|1[0-3])/[0-3]?[0-9]/[0-9]{2,4} +[0-9]{1,2}:[0-9]{1,2} *[aApP][mM]",
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let mode = prop_oneof![
        Just("addcontact"),
        Just("runsequence"),
        Just("scheduleappointment")
    ];
    (mode, proptest::collection::vec((name(), value()), 0..12)).prop_map(|(mode, mut pairs)| {
        pairs.insert(0, ("mode".to_owned(), mode.to_owned()));
        pairs
    })
}

fn phone_like() -> impl Strategy<Value = String> {
    "(\\+?1[ -]?)?\\(?[0-9]{3}\\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}"
}

fn email_like() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._%+'-]{1,20}@[A-Za-z0-9-]{1,12}(\\.[A-Za-z0-9-]{1,12}){0,2}\\.[A-Za-z]{2,6}"
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{1,40}".prop_filter_map("blank", |text| {
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    })
}

fn phone() -> impl Strategy<Value = Phone> {
    "[0-9]{10}".prop_filter_map("valid", |digits| Phone::parse(&digits).ok())
}

fn email() -> impl Strategy<Value = Email> {
    email_like().prop_filter_map("valid", |text| Email::parse(&text).ok())
}

fn ids() -> impl Strategy<Value = IdList> {
    proptest::collection::vec(any::<u64>(), 0..6).prop_filter_map("valid", |ids| {
        IdList::from_ids(ids.into_iter().map(Id::from)).ok()
    })
}

fn name_shape() -> impl Strategy<Value = Name> {
    prop_oneof![
        Just(Name::None),
        text().prop_map(Name::Full),
        (proptest::option::of(text()), proptest::option::of(text()))
            .prop_filter("one part", |(first, last)| first.is_some()
                || last.is_some())
            .prop_map(|(first, last)| Name::Parts { first, last }),
    ]
}

fn targets() -> impl Strategy<Value = Targets> {
    (
        proptest::collection::vec(email(), 0..3),
        proptest::collection::vec(phone(), 0..3),
        ids(),
        ids(),
    )
        .prop_map(
            |(mut contact_emails, mut contact_phones, contact_lists, tags)| {
                contact_emails.dedup();
                contact_phones.dedup();
                let mut unique_emails = Vec::new();
                for email in contact_emails.drain(..) {
                    if !unique_emails.contains(&email) {
                        unique_emails.push(email);
                    }
                }
                let mut unique_phones = Vec::new();
                for phone in contact_phones.drain(..) {
                    if !unique_phones.contains(&phone) {
                        unique_phones.push(phone);
                    }
                }
                Targets {
                    contact_emails: unique_emails,
                    contact_phones: unique_phones,
                    contact_lists,
                    tags,
                }
            },
        )
        .prop_filter("a target", |targets| !targets.is_empty())
}

fn submission() -> impl Strategy<Value = Submission> {
    let contact = (
        proptest::option::of(phone()),
        proptest::option::of(email()),
        name_shape(),
        proptest::collection::vec(proptest::option::of(text()), 5),
    )
        .prop_filter("phone or email", |(phone, email, _, _)| {
            phone.is_some() || email.is_some()
        })
        .prop_map(|(phone, email, name, mut texts)| Contact {
            phone,
            email,
            name,
            zip: texts.pop().flatten(),
            state: texts.pop().flatten(),
            city: texts.pop().flatten(),
            address: texts.pop().flatten(),
            notes: texts.pop().flatten(),
        });
    let add = (
        contact,
        any::<bool>(),
        ids(),
        ids(),
        proptest::option::of(any::<u64>().prop_map(Id::from)),
    )
        .prop_map(|(contact, upsert, tags, contact_lists, sequence_id)| {
            Submission::AddContact(AddContact {
                contact,
                upsert,
                tags,
                contact_lists,
                sequence_id,
            })
        });
    let run = (any::<u64>(), targets()).prop_map(|(id, targets)| {
        Submission::RunSequence(RunSequence {
            sequence_id: Id::from(id),
            targets,
        })
    });
    let meet = (text(), NOW + 1..closem_shared::MAX_UNIX, targets()).prop_map(
        |(note, timestamp, targets)| {
            Submission::ScheduleAppointment(ScheduleAppointment {
                note,
                timestamp,
                targets,
            })
        },
    );
    prop_oneof![add, run, meet]
}

proptest! {
    #[test]
    fn parsing_never_panics(pairs in pairs()) {
        let _ = parse(&pairs, &ctx());
        for mode in Mode::ALL {
            let _ = parse_for_mode(mode, &pairs, &ctx());
        }
        for (name, value) in &pairs {
            for field in Field::ALL {
                let _ = check_value(field, value, &ctx());
            }
            let _ = Field::from_name(name);
        }
    }

    #[test]
    fn accepted_pairs_have_no_issues_and_issues_are_nonempty(pairs in pairs()) {
        match parse(&pairs, &ctx()) {
            Ok(submission) => prop_assert_eq!(parse(&submission.encode(), &ctx()), Ok(submission)),
            Err(issues) => prop_assert!(!issues.is_empty()),
        }
    }

    #[test]
    fn phone_normalising_is_idempotent(input in prop_oneof![phone_like(), value()]) {
        if let Ok(phone) = Phone::parse(&input) {
            prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()));
        }
    }

    #[test]
    fn email_normalising_is_idempotent(input in prop_oneof![email_like(), value()]) {
        if let Ok(email) = Email::parse(&input) {
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
        }
    }

    #[test]
    fn id_normalising_is_idempotent(input in prop_oneof!["[0-9, ]{0,40}".boxed(), value().boxed()]) {
        if let Ok(ids) = IdList::parse(&input) {
            prop_assert_eq!(IdList::parse(&ids.encode()), Ok(ids.clone()));
        }
    }

    #[test]
    fn value_normalising_is_idempotent(input in value()) {
        for field in Field::ALL {
            if let Ok(normal) = check_value(field, &input, &ctx()) {
                prop_assert_eq!(check_value(field, &normal, &ctx()), Ok(normal.clone()), "{:?}", field);
            }
        }
    }

    #[test]
    fn visitor_values_are_checked_as_check_value_does(
        input in prop_oneof![value(), phone_like(), email_like(), text()]
    ) {
        for field in Field::ALL {
            let expected = if field.is_control() {
                Ok(())
            } else {
                check_value(field, &input, &ctx()).map(drop)
            };
            prop_assert_eq!(check_visitor_value(field, &input, &ctx()), expected, "{:?}", field);
        }
    }

    #[test]
    fn encode_then_parse_is_identity(submission in submission()) {
        let encoded = submission.encode();
        prop_assert_eq!(encoded[0].0, "mode");
        prop_assert_eq!(parse(&encoded, &ctx()), Ok(submission));
    }
}
