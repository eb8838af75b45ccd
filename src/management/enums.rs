//! Open enums: the enums of the Management API that the service may extend.
//!
//! Each has one variant per value known today and `Unknown(String)` for anything else, so a
//! value added by the service after this crate was released never makes a whole response
//! unreadable. The generated client ([`raw`](crate::raw)) uses these types in place of closed
//! ones.
//!
//! ```
//! use passage_identity::enums::UserStatus;
//!
//! let known: UserStatus = serde_json::from_str("\"inactive\"").unwrap();
//! assert_eq!(known, UserStatus::Inactive);
//! let new: UserStatus = serde_json::from_str("\"suspended\"").unwrap();
//! assert_eq!(new, UserStatus::Unknown("suspended".into()));
//! assert_eq!(new.as_str(), "suspended");
//! ```

use std::borrow::Cow;

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $wire, "`")] $variant, )+
            /// A value this version of the crate does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// Every value known to this version of the crate.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other,
                }
            }

            /// Whether this is a value this version of the crate does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }

            fn from_wire(value: Cow<'_, str>) -> Self {
                match value.as_ref() {
                    $( $wire => Self::$variant, )+
                    _ => Self::Unknown(value.into_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_wire(Cow::Borrowed(value)))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from_wire(Cow::Borrowed(value))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from_wire(value))
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                open_schema(Self::KNOWN)
            }
        }
    };
}

/// A string schema that documents the known values without rejecting others.
fn open_schema(known: &[&str]) -> schemars::schema::Schema {
    use schemars::schema::{InstanceType, Metadata, SchemaObject};
    SchemaObject {
        instance_type: Some(InstanceType::String.into()),
        metadata: Some(Box::new(Metadata {
            description: Some(format!(
                "One of {}; values added later by the service are accepted as they are.",
                known.join(", ")
            )),
            examples: known.iter().map(|v| serde_json::Value::from(*v)).collect(),
            ..Default::default()
        })),
        ..Default::default()
    }
    .into()
}

open_enum! {
    /// Whether a user may sign in.
    UserStatus { Active = "active", Inactive = "inactive", Pending = "pending", }
}

open_enum! {
    /// The kind of a WebAuthn credential.
    WebAuthnType { Passkey = "passkey", SecurityKey = "security_key", Platform = "platform", }
}

open_enum! {
    /// Whether a user event (sign-in, registration) completed.
    UserEventStatus { Complete = "complete", Incomplete = "incomplete", }
}

open_enum! {
    /// What a user event was.
    UserEventAction { Register = "register", Login = "login", Other = "other", }
}

open_enum! {
    /// A social sign-in provider.
    SocialConnectionType { Apple = "apple", Github = "github", Google = "google", }
}

open_enum! {
    /// What a magic link does when opened.
    MagicLinkType { Login = "login", VerifyIdentifier = "verify_identifier", }
}

open_enum! {
    /// The kind of Passage app.
    AppType { Complete = "complete", Flex = "flex", }
}

open_enum! {
    /// The colour theme of the hosted login page.
    ThemeType { Auto = "auto", Light = "light", Dark = "dark", }
}

open_enum! {
    /// The unit the console displays a lifetime in.
    TtlDisplayUnit { Seconds = "s", Minutes = "m", Hours = "h", Days = "d", }
}

open_enum! {
    /// A technology the app declares it uses.
    Technology {
        React = "react", Go = "go", Vue = "vue", Angular = "angular", Python = "python",
        Javascript = "javascript", Ios = "ios", Android = "android",
    }
}

open_enum! {
    /// The type of a user metadata field.
    UserMetadataFieldType {
        String = "string", Boolean = "boolean", Integer = "integer", Date = "date",
        Phone = "phone", Email = "email",
    }
}

open_enum! {
    /// A font of the Passage elements.
    FontFamily {
        Helvetica = "Helvetica", Arial = "Arial", ArialBlack = "Arial Black", Verdana = "Verdana",
        Tahoma = "Tahoma", TrebuchetMs = "Trebuchet MS", Impact = "Impact", GillSans = "Gill Sans",
        TimesNewRoman = "Times New Roman", Georgia = "Georgia", Palatino = "Palatino",
        Baskerville = "Baskerville", AndaleMono = "Andalé Mono", Courier = "Courier",
        Lucida = "Lucida", Monaco = "Monaco", BradleyHand = "Bradley Hand",
        BrushScriptMt = "Brush Script MT", Luminari = "Luminari", ComicSansMs = "Comic Sans MS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip() {
        for wire in WebAuthnType::KNOWN {
            let parsed: WebAuthnType = serde_json::from_value((*wire).into()).unwrap();
            assert!(!parsed.is_unknown());
            assert_eq!(serde_json::to_value(&parsed).unwrap(), *wire);
        }
    }

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let parsed: FontFamily = serde_json::from_str("\"Papyrus\"").unwrap();
        assert_eq!(parsed, FontFamily::Unknown("Papyrus".into()));
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"Papyrus\"");
    }

    #[test]
    fn escaped_strings_deserialize() {
        let parsed: FontFamily = serde_json::from_str("\"Andal\\u00e9 Mono\"").unwrap();
        assert_eq!(parsed, FontFamily::AndaleMono);
    }

    #[test]
    fn schema_accepts_any_string_and_lists_known_values() {
        let schema = schemars::schema_for!(UserStatus);
        let json = serde_json::to_value(&schema).unwrap();
        assert_eq!(json["type"], "string");
        assert!(json.get("enum").is_none());
        assert_eq!(
            json["examples"],
            serde_json::json!(["active", "inactive", "pending"])
        );
    }
}
