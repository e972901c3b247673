//! International phones (issue 13): the per-country table, the North American numbering plan,
//! national numbers in a default country, and the messages each rule gives.

use closem_shared::{Country, Field, IssueKind, Phone, PhoneRule, Text, COUNTRIES};

fn international(default_country: Option<&str>) -> PhoneRule {
    PhoneRule::International {
        default_country: default_country.map(|iso| Country::parse(iso).expect("a table country")),
    }
}

fn check(rule: PhoneRule, input: &str, expected: Option<&str>) {
    let parsed = Phone::parse_with(input, rule);
    assert_eq!(
        parsed.as_ref().map(Phone::as_str).ok(),
        expected,
        "{input:?} under {rule:?}"
    );
    if let Ok(phone) = parsed {
        // The normal form reads back as itself under the international rule.
        assert_eq!(
            Phone::parse_with(phone.as_str(), international(None)),
            Ok(phone.clone()),
            "{input:?}"
        );
    }
}

/// One valid number per country, written as people write them, and its E.164 form.
const VALID: &[(&str, &str, &str)] = &[
    ("US", "+1 (415) 555-2671", "+14155552671"),
    ("CA", "+1 604 555 0198", "+16045550198"),
    ("MX", "+52 55 1234 5678", "+525512345678"),
    ("BR", "+55 11 91234-5678", "+5511912345678"),
    ("AR", "+54 9 11 2345-6789", "+5491123456789"),
    ("CO", "+57 601 234 5678", "+576012345678"),
    ("CL", "+56 2 2123 4567", "+56221234567"),
    ("GB", "+44 20 7946 0958", "+442079460958"),
    ("IE", "+353 1 234 5678", "+35312345678"),
    ("FR", "+33 6 12 34 56 78", "+33612345678"),
    ("DE", "+49 30 1234567", "+49301234567"),
    ("ES", "+34 612 345 678", "+34612345678"),
    ("PT", "+351 912 345 678", "+351912345678"),
    ("IT", "+39 06 6982 1234", "+390669821234"),
    ("NL", "+31 20 123 4567", "+31201234567"),
    ("BE", "+32 2 123 45 67", "+3221234567"),
    ("CH", "+41 44 668 18 00", "+41446681800"),
    ("AT", "+43 1 234567", "+431234567"),
    ("SE", "+46 8 123 456 78", "+46812345678"),
    ("NO", "+47 22 12 34 56", "+4722123456"),
    ("DK", "+45 32 12 34 56", "+4532123456"),
    ("PL", "+48 22 123 45 67", "+48221234567"),
    ("AU", "+61 2 9374 4000", "+61293744000"),
    ("NZ", "+64 9 123 4567", "+6491234567"),
    ("IN", "+91 98765 43210", "+919876543210"),
    ("JP", "+81 3-1234-5678", "+81312345678"),
    ("CN", "+86 138 0013 8000", "+8613800138000"),
    ("KR", "+82 2-123-4567", "+8221234567"),
    ("SG", "+65 6123 4567", "+6561234567"),
    ("PH", "+63 917 123 4567", "+639171234567"),
    ("ZA", "+27 21 123 4567", "+27211234567"),
    ("NG", "+234 802 123 4567", "+2348021234567"),
    ("AE", "+971 50 123 4567", "+971501234567"),
];

/// The same countries' numbers dialled nationally, read with that country as the default.
const NATIONAL: &[(&str, &str, &str)] = &[
    ("US", "(415) 555-2671", "+14155552671"),
    ("US", "1-415-555-2671", "+14155552671"),
    ("GB", "020 7946 0958", "+442079460958"),
    ("GB", "07700 900123", "+447700900123"),
    ("FR", "06 12 34 56 78", "+33612345678"),
    ("DE", "030 1234567", "+49301234567"),
    ("ES", "612 345 678", "+34612345678"),
    ("PT", "912 345 678", "+351912345678"),
    ("IT", "06 6982 1234", "+390669821234"),
    ("BR", "(11) 91234-5678", "+5511912345678"),
    ("MX", "55 1234 5678", "+525512345678"),
    ("AU", "02 9374 4000", "+61293744000"),
    ("IN", "098765 43210", "+919876543210"),
    ("JP", "03-1234-5678", "+81312345678"),
    ("NL", "020 123 4567", "+31201234567"),
    ("IE", "01 234 5678", "+35312345678"),
    ("ZA", "021 123 4567", "+27211234567"),
    ("NO", "22 12 34 56", "+4722123456"),
    ("PL", "22 123 45 67", "+48221234567"),
    ("CH", "044 668 18 00", "+41446681800"),
];

/// Implausible for the country their calling code names (too short, too long), or no country.
const INVALID: &[&str] = &[
    "+44 20 7946",            // GB: too short
    "+44 20 7946 0958 12",    // GB: too long
    "+33 6 12 34 56",         // FR: too short
    "+34 612 345 6789",       // ES: too long
    "+49 30",                 // DE: too short
    "+1 (055) 444-3333",      // NANP: area code starts with 0
    "+1 (155) 444-3333",      // NANP: area code starts with 1
    "+1 (555) 044-3333",      // NANP: exchange starts with 0
    "+1 (555) 144-3333",      // NANP: exchange starts with 1
    "+999 1234 5678",         // no country in the table
    "+",                      // nothing
    "+44 20 7946 0958 ext 2", // letters
    "++44 20 7946 0958",      // two plus signs
    "+44 (20 7946 0958",      // unbalanced parenthesis
];

#[test]
fn the_table_has_at_least_twenty_countries_each_once() {
    assert!(COUNTRIES.len() >= 20, "{}", COUNTRIES.len());
    for (index, plan) in COUNTRIES.iter().enumerate() {
        assert!(plan.min <= plan.max && plan.max <= 14, "{plan:?}");
        assert_eq!(plan.iso().len(), 2);
        assert!(
            COUNTRIES[..index]
                .iter()
                .all(|earlier| earlier.iso() != plan.iso()),
            "{} twice",
            plan.iso()
        );
        assert_eq!(
            Country::parse(&plan.iso().to_lowercase()).map(Country::iso),
            Some(plan.iso())
        );
    }
    // Every country of the table has a valid number below.
    for plan in &COUNTRIES {
        assert!(
            VALID.iter().any(|(iso, _, _)| *iso == plan.iso()),
            "{} untested",
            plan.iso()
        );
    }
}

#[test]
fn international_numbers_of_every_country() {
    for (iso, input, normal) in VALID {
        check(international(None), input, Some(normal));
        // With `00` for `+`, and whatever the default country.
        let zeros = input.replacen('+', "00", 1);
        check(international(Some("GB")), &zeros, Some(normal));
        let country = Country::parse(iso).expect("table");
        assert!(
            normal[1..].starts_with(&country.calling_code().to_string()),
            "{iso}"
        );
    }
}

#[test]
fn national_numbers_in_the_default_country() {
    for (iso, input, normal) in NATIONAL {
        check(international(Some(iso)), input, Some(normal));
        // Without a default country, a number without `+` names no country.
        check(international(None), input, None);
    }
    // The `(0)` people write after the code is the trunk 0, not part of the number.
    check(
        international(None),
        "+44 (0)20 7946 0958",
        Some("+442079460958"),
    );
}

#[test]
fn implausible_numbers_are_refused() {
    for input in INVALID {
        check(international(Some("US")), input, None);
        check(PhoneRule::NorthAmerican, input, None);
    }
}

#[test]
fn north_american_numbers_follow_the_numbering_plan() {
    let rule = PhoneRule::NorthAmerican;
    check(rule, "+1 (555) 444-3333", Some("+15554443333"));
    check(rule, "777-888-9999", Some("+17778889999"));
    check(rule, "(055) 444-3333", None);
    check(rule, "(155) 444-3333", None);
    check(rule, "555-044-3333", None);
    check(rule, "1-555-144-3333", None);
    // The documented rule takes no other country.
    check(rule, "+44 20 7946 0958", None);
}

#[test]
fn each_rule_says_what_a_phone_should_look_like() {
    let north = Text::of(
        Some(Field::Phone),
        IssueKind::Format,
        PhoneRule::NorthAmerican,
    );
    let world = Text::of(Some(Field::Phone), IssueKind::Format, international(None));
    assert_eq!(north, Text::PhoneFormat);
    assert_eq!(world, Text::PhoneInternational);
    assert_eq!(
        Text::of(
            Some(Field::ContactPhones),
            IssueKind::Format,
            international(Some("GB"))
        ),
        Text::PhoneInternational
    );
}

#[test]
fn the_forms_attribute_names_the_same_rules_as_the_profile() {
    assert_eq!(PhoneRule::from_attribute(None), PhoneRule::NorthAmerican);
    assert_eq!(
        PhoneRule::from_attribute(Some("")),
        PhoneRule::NorthAmerican
    );
    assert_eq!(
        PhoneRule::from_attribute(Some("north_american")),
        PhoneRule::NorthAmerican
    );
    assert_eq!(
        PhoneRule::from_attribute(Some("international")),
        international(None)
    );
    assert_eq!(
        PhoneRule::from_attribute(Some("international  gb ")),
        international(Some("GB"))
    );
    assert_eq!(
        PhoneRule::from_attribute(Some("international XX")),
        international(None)
    );
}
