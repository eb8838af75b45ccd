//! The verified contents of a Passage token: [`Claims`] and its [`Audience`].

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::strict_json::{OtherNames, Skipped, Str, once, read_all};

/// The claims of a token that passed every check, from `Auth::validate_jwt_claims`.
///
/// `sub` is the Passage user id. Claims other than the registered ones are kept in
/// [`extra`](Self::extra). To make one in your own tests, deserialize it:
/// `serde_json::from_value::<Claims>(json!({"sub": .., "iss": .., "aud": .., "exp": ..}))`.
///
/// ```
/// # async fn demo(passage: passage_identity::Passage, token: &str) -> Result<(), passage_identity::AuthError> {
/// let claims = passage.auth().validate_jwt_claims(token).await?;
/// println!("user {} until {:?}", claims.sub, claims.expires_at());
/// if let Some(value) = claims.extra.get("amr") {
///     println!("signed in with {value}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Claims {
    /// The subject: the Passage user id. Never empty.
    pub sub: String,
    /// The issuer: `{auth_base}/v1/apps/{app_id}` (see `Passage::issuer`).
    pub iss: String,
    /// The audience: the app id, or a list holding it (and the app's auth origin).
    pub aud: Audience,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: i64,
    /// Not before, in seconds since the Unix epoch, when the token has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issued at, in seconds since the Unix epoch, when the token has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Every other claim of the token.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Claims {
    /// When the token expires.
    ///
    /// ```
    /// # fn demo(claims: passage_identity::Claims) {
    /// let left = claims.expires_at().duration_since(std::time::SystemTime::now());
    /// # let _ = left; }
    /// ```
    pub fn expires_at(&self) -> SystemTime {
        unix_time(self.exp)
    }

    /// When the token was issued, when it says so.
    ///
    /// ```
    /// # fn demo(claims: passage_identity::Claims) {
    /// if let Some(issued) = claims.issued_at() {
    ///     println!("signed in at {issued:?}");
    /// }
    /// # }
    /// ```
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.iat.map(unix_time)
    }
}

fn unix_time(seconds: i64) -> SystemTime {
    let magnitude = Duration::from_secs(seconds.unsigned_abs());
    let shifted = if seconds >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    };
    shifted.unwrap_or(UNIX_EPOCH)
}

/// The `aud` claim: one audience or several.
///
/// ```
/// use passage_identity::auth::Audience;
///
/// let aud = Audience::Many(vec!["https://example.withpassage.com".into(), "app_123".into()]);
/// assert!(aud.contains("app_123"));
/// assert_eq!(aud.iter().count(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "app_123"`
    One(String),
    /// `"aud": ["https://example.withpassage.com", "app_123"]`
    Many(Vec<String>),
}

impl Audience {
    /// Whether `audience` is one of the values.
    ///
    /// ```
    /// assert!(passage_identity::auth::Audience::One("app_123".into()).contains("app_123"));
    /// ```
    pub fn contains(&self, audience: &str) -> bool {
        self.iter().any(|a| a == audience)
    }

    /// The values, in order.
    ///
    /// ```
    /// let aud = passage_identity::auth::Audience::One("app_123".into());
    /// assert_eq!(aud.iter().collect::<Vec<_>>(), ["app_123"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice: &[String] = match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        };
        slice.iter().map(String::as_str)
    }
}

/// The registered claims as they are read from the payload for checking, borrowing where the
/// JSON has no escapes. `null` counts as absent.
#[derive(Default)]
pub(crate) struct RegisteredClaims<'a> {
    pub(crate) sub: Option<Cow<'a, str>>,
    pub(crate) iss: Option<Cow<'a, str>>,
    pub(crate) aud: Option<AudienceRef<'a>>,
    pub(crate) exp: Option<NumericDate>,
    pub(crate) nbf: Option<NumericDate>,
    pub(crate) iat: Option<NumericDate>,
}

/// A claims set read in one pass: the registered claims, typed, and the others as JSON values
/// when they are kept (`validate_jwt_claims`), else read strictly and dropped (see
/// [`strict_json`](super::strict_json)). A registered claim of the wrong type, any claim given
/// twice, or JSON a `serde_json::Value` would refuse fails the whole read.
pub(crate) struct ReadClaims<'a> {
    pub(crate) registered: RegisteredClaims<'a>,
    pub(crate) extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl<'a> ReadClaims<'a> {
    pub(crate) fn from_json(json: &'a [u8], keep_extra: bool) -> serde_json::Result<Self> {
        read_all(json, |deserializer| {
            deserializer.deserialize_map(ClaimsVisitor { keep_extra })
        })
    }
}

struct ClaimsVisitor {
    keep_extra: bool,
}

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = ReadClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReadClaims<'de>, A::Error> {
        // Outer `Option`: whether the claim was present at all (even as `null`).
        let (mut sub, mut iss, mut aud) = (None, None, None);
        let (mut exp, mut nbf, mut iat) = (None, None, None);
        let mut extra = self.keep_extra.then(serde_json::Map::new);
        let mut others = OtherNames::default();
        while let Some(Str(name)) = map.next_key::<Str<'de>>()? {
            match &*name {
                "sub" => once(&mut sub, map.next_value::<Option<Str<'de>>>()?)?,
                "iss" => once(&mut iss, map.next_value::<Option<Str<'de>>>()?)?,
                "aud" => once(&mut aud, map.next_value::<Option<AudienceRef<'de>>>()?)?,
                "exp" => once(&mut exp, map.next_value::<Option<NumericDate>>()?)?,
                "nbf" => once(&mut nbf, map.next_value::<Option<NumericDate>>()?)?,
                "iat" => once(&mut iat, map.next_value::<Option<NumericDate>>()?)?,
                _ => match &mut extra {
                    Some(extra) => {
                        let value = map.next_value::<serde_json::Value>()?;
                        if extra.insert(name.into_owned(), value).is_some() {
                            return Err(de::Error::custom("a claim is given twice"));
                        }
                    }
                    None => {
                        map.next_value::<Skipped>()?;
                        others.add(name)?;
                    }
                },
            }
        }
        let text = |claim: Option<Option<Str<'de>>>| claim.flatten().map(|s| s.0);
        Ok(ReadClaims {
            registered: RegisteredClaims {
                sub: text(sub),
                iss: text(iss),
                aud: aud.flatten(),
                exp: exp.flatten(),
                nbf: nbf.flatten(),
                iat: iat.flatten(),
            },
            extra,
        })
    }
}

/// `aud` as read for checking: a string or a list of strings.
pub(crate) enum AudienceRef<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl<'de> Deserialize<'de> for AudienceRef<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AudienceVisitor;

        impl<'de> Visitor<'de> for AudienceVisitor {
            type Value = AudienceRef<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(AudienceRef::One(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AudienceRef::One(Cow::Owned(v.to_owned())))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut many = Vec::with_capacity(seq.size_hint().unwrap_or(2));
                while let Some(Str(one)) = seq.next_element::<Str<'de>>()? {
                    many.push(one);
                }
                Ok(AudienceRef::Many(many))
            }
        }

        deserializer.deserialize_any(AudienceVisitor)
    }
}

impl AudienceRef<'_> {
    pub(crate) fn any(&self, mut accepted: impl FnMut(&str) -> bool) -> bool {
        match self {
            Self::One(one) => accepted(one),
            Self::Many(many) => many.iter().any(|a| accepted(a)),
        }
    }

    pub(crate) fn to_owned(&self) -> Audience {
        match self {
            Self::One(one) => Audience::One(one.to_string()),
            Self::Many(many) => Audience::Many(many.iter().map(|a| a.to_string()).collect()),
        }
    }
}

/// A JWT NumericDate: seconds since the epoch, an integer or a finite number (rounded down).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumericDate(pub(crate) i64);

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumericDateVisitor;

        impl Visitor<'_> for NumericDateVisitor {
            type Value = NumericDate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds since the Unix epoch")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
                Ok(NumericDate(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
                Ok(NumericDate(i64::try_from(v).unwrap_or(i64::MAX)))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
                if v.is_finite() {
                    // `as` saturates at the bounds of i64.
                    Ok(NumericDate(v.floor() as i64))
                } else {
                    Err(E::custom("not a finite number"))
                }
            }
        }

        deserializer.deserialize_any(NumericDateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<RegisteredClaims<'_>, serde_json::Error> {
        ReadClaims::from_json(json.as_bytes(), false).map(|read| read.registered)
    }

    fn parse_keeping(json: &str) -> Result<ReadClaims<'_>, serde_json::Error> {
        ReadClaims::from_json(json.as_bytes(), true)
    }

    #[test]
    fn numeric_dates_accept_integers_and_floats() {
        let claims = parse(r#"{"exp": 1700000000, "nbf": 1699999999.9, "iat": -5}"#).unwrap();
        assert_eq!(claims.exp, Some(NumericDate(1_700_000_000)));
        assert_eq!(claims.nbf, Some(NumericDate(1_699_999_999)));
        assert_eq!(claims.iat, Some(NumericDate(-5)));
    }

    #[test]
    fn numeric_dates_reject_strings() {
        assert!(parse(r#"{"exp": "tomorrow"}"#).is_err());
    }

    #[test]
    fn huge_numeric_dates_saturate() {
        let claims = parse(r#"{"exp": 18446744073709551615, "nbf": 1e300}"#).unwrap();
        assert_eq!(claims.exp, Some(NumericDate(i64::MAX)));
        assert_eq!(claims.nbf, Some(NumericDate(i64::MAX)));
    }

    #[test]
    fn audience_is_one_or_many() {
        let one = parse(r#"{"aud": "app"}"#).unwrap().aud.unwrap();
        assert!(one.any(|a| a == "app"));
        let many = parse(r#"{"aud": ["origin", "app"]}"#).unwrap().aud.unwrap();
        assert!(many.any(|a| a == "app"));
        assert_eq!(
            many.to_owned(),
            Audience::Many(vec!["origin".into(), "app".into()])
        );
        assert!(parse(r#"{"aud": 5}"#).is_err());
    }

    #[test]
    fn duplicate_claims_are_rejected() {
        for json in [
            r#"{"sub": "a", "sub": "b"}"#,
            r#"{"sub": null, "sub": "b"}"#,
            r#"{"amr": 1, "amr": 2}"#,
        ] {
            assert!(parse(json).is_err(), "{json}");
            assert!(parse_keeping(json).is_err(), "{json}");
        }
    }

    #[test]
    fn other_claims_are_kept_only_when_asked_for() {
        let json = r#"{"sub": "a", "amr": ["passkey"], "n": {"deep": [1]}}"#;
        let kept = parse_keeping(json).unwrap().extra.unwrap();
        assert!(kept.contains_key("amr") && !kept.contains_key("sub"));
        assert!(
            ReadClaims::from_json(json.as_bytes(), false)
                .unwrap()
                .extra
                .is_none()
        );
    }

    #[test]
    fn both_reads_refuse_the_same_payloads() {
        let deep = format!(r#"{{"x": {}1{}}}"#, "[".repeat(200), "]".repeat(200));
        for json in [
            r#"{"x": "\ud800"}"#.to_owned(),
            r#"{"x": 1e400}"#.to_owned(),
            r#"{"x": 12345678901234567890123456789}"#.to_owned(),
            deep,
            "[]".to_owned(),
            r#"{"sub": "a"} x"#.to_owned(),
        ] {
            assert_eq!(parse(&json).is_ok(), parse_keeping(&json).is_ok(), "{json}");
        }
        assert!(parse(r#"{"x": "\ud800"}"#).is_err());
        assert!(parse("[]").is_err());
    }

    #[test]
    fn claims_that_are_null_count_as_absent() {
        let claims = parse(r#"{"sub": null, "aud": null, "exp": null}"#).unwrap();
        assert!(claims.sub.is_none() && claims.aud.is_none() && claims.exp.is_none());
    }

    #[test]
    fn times_convert_to_system_time() {
        assert_eq!(unix_time(10), UNIX_EPOCH + Duration::from_secs(10));
        assert!(unix_time(-10) < UNIX_EPOCH);
    }
}
