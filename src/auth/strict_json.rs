//! How the JSON of a token's header and claims is read: in one pass, borrowing strings where
//! the JSON has no escapes, and strictly.
//!
//! A member this library does not use is still read to its end exactly as
//! `serde_json::Value` reads it (UTF-8, escapes, no lone surrogate such as `\ud800`, numbers
//! within the range of an `f64`, at most 128 levels of nesting). `validate_jwt`, which keeps
//! only the registered claims, and `validate_jwt_claims`, which keeps every claim as a `Value`,
//! therefore refuse exactly the same tokens, both as malformed. A member given twice at the top
//! level of the header or the claims is refused too (RFC 7515 §4, RFC 7519 §4 allow refusing
//! it, and parsers disagree on which of the two values wins).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Any JSON value, read and dropped. Tells whether it was a string.
pub(crate) struct Skipped {
    pub(crate) was_string: bool,
}

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

const fn other() -> Skipped {
    Skipped { was_string: false }
}

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skipped;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skipped, E> {
        Ok(other())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skipped, E> {
        Ok(other())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skipped, E> {
        Ok(other())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skipped, E> {
        Ok(other())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skipped, E> {
        Ok(Skipped { was_string: true })
    }

    fn visit_unit<E: de::Error>(self) -> Result<Skipped, E> {
        Ok(other())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skipped, A::Error> {
        while seq.next_element::<Skipped>()?.is_some() {}
        Ok(other())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skipped, A::Error> {
        while map.next_key::<Skipped>()?.is_some() {
            map.next_value::<Skipped>()?;
        }
        Ok(other())
    }
}

/// A JSON string, borrowed from the input unless it has escapes.
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
        Ok(Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
        Ok(Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
        Ok(Str(Cow::Owned(v)))
    }
}

/// Sets a member read once; a second time is an error.
pub(crate) fn once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom("a member is given twice"));
    }
    *slot = Some(value);
    Ok(())
}

/// How many unused names are compared pairwise, on the stack, before a set takes over: a real
/// token has a handful (`typ`, `jti`...), and those cost no allocation and no hashing.
const FEW_NAMES: usize = 8;

/// The names of the top-level members this library does not use, to refuse one given twice.
/// The first few are kept on the stack; beyond them a set, not a list, so that a header of many
/// distinct names, sent before any signature is checked, costs one lookup per name rather than
/// one comparison per pair.
#[derive(Default)]
pub(crate) struct OtherNames<'a> {
    /// `few[..filled]` are the first names seen; the rest go to `many`.
    few: [Cow<'a, str>; FEW_NAMES],
    filled: usize,
    many: HashSet<Cow<'a, str>>,
}

impl<'a> OtherNames<'a> {
    pub(crate) fn add<E: de::Error>(&mut self, name: Cow<'a, str>) -> Result<(), E> {
        let given_twice = || E::custom("a member is given twice");
        if self.few[..self.filled].contains(&name) {
            return Err(given_twice());
        }
        if let Some(free) = self.few.get_mut(self.filled) {
            *free = name;
            self.filled += 1;
            return Ok(());
        }
        if !self.many.insert(name) {
            return Err(given_twice());
        }
        Ok(())
    }
}

/// Reads all of `json` with `read`, refusing anything after the value.
pub(crate) fn read_all<'de, T>(
    json: &'de [u8],
    read: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
    ) -> serde_json::Result<T>,
) -> serde_json::Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let value = read(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skips(json: &str) -> bool {
        read_all(json.as_bytes(), |d| Skipped::deserialize(d)).is_ok()
    }

    fn value_reads(json: &str) -> bool {
        serde_json::from_str::<serde_json::Value>(json).is_ok()
    }

    #[test]
    fn skipping_refuses_exactly_what_a_value_refuses() {
        let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let cases = [
            r#"{"a": [1, 2.5, -3, true, null, "x", {"b": {}}]}"#.to_owned(),
            r#""\ud800""#.to_owned(),
            r#""\ud800\udc00""#.to_owned(),
            r#""\udc00""#.to_owned(),
            r#""\x""#.to_owned(),
            "1e400".to_owned(),
            "-1e400".to_owned(),
            "123456789012345678901234567890".to_owned(),
            "1e-400".to_owned(),
            "01".to_owned(),
            "NaN".to_owned(),
            deep(127),
            deep(128),
            deep(129),
            r#"{"a": 1, "a": 2}"#.to_owned(),
            "\"\u{1}\"".to_owned(),
            "[1,]".to_owned(),
            "{\"a\" 1}".to_owned(),
        ];
        for json in &cases {
            assert_eq!(skips(json), value_reads(json), "{json}");
        }
    }

    #[test]
    fn invalid_utf8_is_refused_like_a_value_refuses_it() {
        let json = b"\"\xff\"";
        assert!(read_all(json, |d| Skipped::deserialize(d)).is_err());
        assert!(serde_json::from_slice::<serde_json::Value>(json).is_err());
    }

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let plain = read_all(br#""abc""#, |d| Str::deserialize(d)).unwrap();
        assert!(matches!(plain.0, Cow::Borrowed("abc")));
        let escaped = read_all(br#""a\nc""#, |d| Str::deserialize(d)).unwrap();
        assert!(matches!(escaped.0, Cow::Owned(ref s) if s == "a\nc"));
    }

    #[test]
    fn a_repeat_is_refused_among_the_first_few_names_and_after_them() {
        for count in [1, FEW_NAMES - 1, FEW_NAMES, FEW_NAMES + 1, 3 * FEW_NAMES] {
            for repeated in [0, count / 2, count - 1] {
                let mut names = OtherNames::default();
                for i in 0..count {
                    names
                        .add::<serde_json::Error>(Cow::Owned(format!("n{i}")))
                        .unwrap();
                }
                let again = names.add::<serde_json::Error>(Cow::Owned(format!("n{repeated}")));
                assert!(again.is_err(), "{count} names, n{repeated} again");
                assert!(names.add::<serde_json::Error>(Cow::Borrowed("new")).is_ok());
            }
        }
    }

    #[test]
    fn other_names_refuse_a_repeat() {
        let mut names = OtherNames::default();
        names.add::<serde_json::Error>("a".into()).unwrap();
        names.add::<serde_json::Error>("b".into()).unwrap();
        assert!(names.add::<serde_json::Error>("a".into()).is_err());
    }
}
