//! Phone numbers in E.164 form, checked before they leave the process.
//!
//! Validity is decided by the spec's own pattern, through the generated
//! [`E164PhoneNumber`](crate::raw::types::E164PhoneNumber) type; this module only adds a name
//! users can hold on to and an error that says what is wrong.

use std::fmt;
use std::str::FromStr;

use crate::management::raw::types::E164PhoneNumber;

/// A phone number in E.164 form: `+`, then 2 to 15 digits, the first not 0 (for example
/// `+15551234567`).
///
/// Parsing is strict: spaces, dashes, brackets and a leading `00` are rejected rather than
/// guessed at, so what is checked is exactly what is sent.
///
/// ```
/// use passage_identity::{PhoneNumber, PhoneNumberError};
///
/// let phone = PhoneNumber::parse("+442071838750")?;
/// assert_eq!(phone.as_str(), "+442071838750");
///
/// assert_eq!(PhoneNumber::parse("0044 20 7183 8750"), Err(PhoneNumberError::MissingPlus));
/// assert_eq!(PhoneNumber::parse("+0123"), Err(PhoneNumberError::LeadingZero));
/// # Ok::<(), PhoneNumberError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(E164PhoneNumber);

/// Why a string is not an E.164 phone number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneNumberError {
    /// The string is empty.
    #[error("the phone number is empty")]
    Empty,
    /// The number does not start with `+` and a country code.
    #[error("an E.164 phone number starts with '+' and the country code, e.g. +15551234567")]
    MissingPlus,
    /// Something other than a digit follows the `+`.
    #[error(
        "only digits may follow the '+' of an E.164 phone number (no spaces, dashes or brackets)"
    )]
    NotDigits,
    /// The first digit (the start of the country code) is 0.
    #[error("the country code of an E.164 phone number cannot start with 0")]
    LeadingZero,
    /// Fewer than 2 or more than 15 digits.
    #[error("an E.164 phone number has 2 to 15 digits after the '+', this one has {digits}")]
    WrongLength {
        /// How many digits were given.
        digits: usize,
    },
}

impl PhoneNumber {
    /// Checks that `value` is an E.164 phone number.
    ///
    /// ```
    /// use passage_identity::{PhoneNumber, PhoneNumberError};
    ///
    /// assert!(PhoneNumber::parse("+15551234567").is_ok());
    /// assert_eq!(
    ///     PhoneNumber::parse("+1234567890123456"),
    ///     Err(PhoneNumberError::WrongLength { digits: 16 })
    /// );
    /// ```
    pub fn parse(value: &str) -> Result<Self, PhoneNumberError> {
        match E164PhoneNumber::from_str(value) {
            Ok(number) => Ok(Self(number)),
            Err(_) => Err(diagnose(value)),
        }
    }

    /// The number as sent, e.g. `+15551234567`.
    ///
    /// ```
    /// let phone = passage_identity::PhoneNumber::parse("+15551234567")?;
    /// assert_eq!(phone.as_str(), "+15551234567");
    /// # Ok::<(), passage_identity::PhoneNumberError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The generated type the low-level client takes.
    ///
    /// ```
    /// let phone = passage_identity::PhoneNumber::parse("+15551234567")?;
    /// let raw: passage_identity::raw::types::E164PhoneNumber = phone.into_raw();
    /// assert_eq!(raw.as_str(), "+15551234567");
    /// # Ok::<(), passage_identity::PhoneNumberError>(())
    /// ```
    pub fn into_raw(self) -> E164PhoneNumber {
        self.0
    }
}

/// Says what is wrong with a value the pattern rejected. It does not decide validity (the
/// pattern does); when no specific reason applies it falls back to the length rule.
fn diagnose(value: &str) -> PhoneNumberError {
    if value.is_empty() {
        return PhoneNumberError::Empty;
    }
    let Some(digits) = value.strip_prefix('+') else {
        return PhoneNumberError::MissingPlus;
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return PhoneNumberError::NotDigits;
    }
    if digits.starts_with('0') {
        return PhoneNumberError::LeadingZero;
    }
    PhoneNumberError::WrongLength {
        digits: digits.len(),
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneNumberError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = PhoneNumberError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneNumberError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PhoneNumber> for E164PhoneNumber {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0.into()
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_and_longest_numbers_are_accepted() {
        assert!(PhoneNumber::parse("+12").is_ok());
        assert!(PhoneNumber::parse("+123456789012345").is_ok());
    }

    #[test]
    fn too_short_and_too_long_numbers_say_how_many_digits() {
        assert_eq!(
            PhoneNumber::parse("+1"),
            Err(PhoneNumberError::WrongLength { digits: 1 })
        );
        assert_eq!(
            PhoneNumber::parse("+"),
            Err(PhoneNumberError::WrongLength { digits: 0 })
        );
        assert_eq!(
            PhoneNumber::parse("+1234567890123456"),
            Err(PhoneNumberError::WrongLength { digits: 16 })
        );
    }

    #[test]
    fn empty_string_is_reported_as_empty() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneNumberError::Empty));
    }

    #[test]
    fn number_without_plus_is_rejected() {
        assert_eq!(
            PhoneNumber::parse("15551234567"),
            Err(PhoneNumberError::MissingPlus)
        );
        assert_eq!(
            PhoneNumber::parse(" +15551234567"),
            Err(PhoneNumberError::MissingPlus)
        );
    }

    #[test]
    fn punctuation_and_non_ascii_digits_are_rejected() {
        for bad in [
            "+1 555 123 4567",
            "+1-555-1234567",
            "+1(555)1234567",
            "+15551234567\n",
            "+١٢٣٤",
        ] {
            assert_eq!(
                PhoneNumber::parse(bad),
                Err(PhoneNumberError::NotDigits),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn country_code_starting_with_zero_is_rejected() {
        assert_eq!(
            PhoneNumber::parse("+015551234"),
            Err(PhoneNumberError::LeadingZero)
        );
    }

    #[test]
    fn serde_round_trips_and_rejects_bad_numbers() {
        let phone: PhoneNumber = serde_json::from_str("\"+15551234567\"").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+15551234567\"");
        assert!(serde_json::from_str::<PhoneNumber>("\"555\"").is_err());
    }

    /// E.164 as the reference states it, written as plainly as possible: `+`, then 2 to 15
    /// ASCII digits, the first not 0.
    fn is_e164(value: &str) -> bool {
        let Some(digits) = value.strip_prefix('+') else {
            return false;
        };
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    }

    fn agrees(value: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let parsed = PhoneNumber::parse(value);
        proptest::prop_assert_eq!(parsed.is_ok(), is_e164(value), "{:?}: {:?}", value, parsed);
        if let Ok(phone) = parsed {
            proptest::prop_assert_eq!(phone.as_str(), value);
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn parse_agrees_with_the_reference_on_any_string(value in "\\PC*") {
            agrees(&value)?;
        }

        /// Strings near the rule (a sign or not, digits, a few look-alikes) hit both sides of
        /// it far more often than arbitrary text does.
        #[test]
        fn parse_agrees_with_the_reference_near_the_rule(
            value in "[+0 ]?[+0-9\\- ().\u{660}\u{ff11}]{0,18}",
        ) {
            agrees(&value)?;
        }

        #[test]
        fn every_number_of_the_rule_is_accepted(value in "\\+[1-9][0-9]{1,14}") {
            proptest::prop_assert!(PhoneNumber::parse(&value).is_ok(), "{:?}", value);
        }
    }

    #[test]
    fn display_is_the_number() {
        let phone = PhoneNumber::parse("+15551234567").unwrap();
        assert_eq!(phone.to_string(), "+15551234567");
    }
}
