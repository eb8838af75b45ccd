//! The emulated app as saved state: its id, API key, signing keys, users, devices and magic
//! links, as versioned JSON, for a local emulator that keeps its app across restarts.
//!
//! The state holds the signing keys' private halves and the API key: it is for local
//! development only, never to be committed or shared.

pub(crate) mod file;

use std::fmt;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Emulator;
use super::controls::redact::REDACTED;
use super::error::EmulatorError;
use super::keys::SigningKey;
use super::store::snapshot::{StoreState, UserState};
use super::store::{SentMagicLink, Store};
use crate::secret::Secret;

/// The version of the state format this emulator writes and reads.
pub const STATE_VERSION: u64 = 1;

/// The emulated app as saved state: app id, API key, signing keys (private halves included),
/// users with their devices, and magic links. From [`Emulator::export_state`], into
/// [`EmulatorBuilder::state`]; as JSON with [`to_json`](Self::to_json) and
/// [`from_json`](Self::from_json), or as a file with [`EmulatorBuilder::state_file`].
///
/// It holds secrets (the API key and the keys that sign tokens): keep it to local development,
/// never commit or share it. `Debug` shows neither.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
/// use passage_identity::emulator::{Emulator, EmulatorState};
///
/// let first = Emulator::start().await?;
/// let user = first.create_user_directly(Some("ada@example.com"), None)?;
/// let json = first.export_state().to_json();
///
/// let second = Emulator::builder().state(EmulatorState::from_json(&json)?).start().await?;
/// assert_eq!((second.app_id(), second.api_key()), (first.app_id(), first.api_key()));
/// assert_eq!(second.user(&user.id)?.email, "ada@example.com");
/// assert_eq!(second.signing_kids(), first.signing_kids());
/// # Ok(()) }
/// ```
///
/// [`Emulator::export_state`]: crate::emulator::Emulator::export_state
/// [`EmulatorBuilder::state`]: crate::emulator::EmulatorBuilder::state
/// [`EmulatorBuilder::state_file`]: crate::emulator::EmulatorBuilder::state_file
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatorState {
    version: u64,
    app_id: String,
    api_key: String,
    app_created_at: DateTime<Utc>,
    /// Where the app was served when saved: tokens issued then name it in `iss` and `aud`.
    auth_origin: String,
    /// Newest (the one that signs) first.
    signing_keys: Vec<KeyState>,
    users: Vec<UserState>,
    magic_links: Vec<SentMagicLink>,
}

/// One signing key as saved.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyState {
    kid: String,
    private_key_pem: String,
}

impl fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.signing_keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("EmulatorState")
            .field("version", &self.version)
            .field("app_id", &self.app_id)
            .field("api_key", &REDACTED)
            .field("auth_origin", &self.auth_origin)
            .field("signing_kids", &kids)
            .field("users", &self.users.len())
            .field("magic_links", &self.magic_links.len())
            .finish_non_exhaustive()
    }
}

/// A state whose every part was checked, ready to serve.
pub(crate) struct CheckedState {
    pub(crate) app_id: String,
    pub(crate) api_key: Secret,
    pub(crate) app_created_at: DateTime<Utc>,
    pub(crate) keys: Vec<SigningKey>,
    pub(crate) store: Store,
}

impl EmulatorState {
    /// Reads a state from its JSON, checking its `version` first: anything but a state of
    /// [`STATE_VERSION`], with every user, key and link well-formed, is an
    /// [`EmulatorError::InvalidState`] that says what is wrong (and shows no secret).
    ///
    /// ```
    /// use passage_identity::emulator::{EmulatorError, EmulatorState};
    ///
    /// let error = EmulatorState::from_json(r#"{"version": 99}"#).unwrap_err();
    /// assert!(matches!(error, EmulatorError::InvalidState { .. }));
    /// assert!(error.to_string().contains("version 99"), "{error}");
    /// assert!(EmulatorState::from_json("{not json").is_err());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, EmulatorError> {
        Self::parse(json).map_err(|reason| EmulatorError::InvalidState {
            origin: "the state".to_owned(),
            reason,
        })
    }

    /// The state as pretty-printed JSON (what a state file holds).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let json: serde_json::Value = serde_json::from_str(&emulator.export_state().to_json()).unwrap();
    /// assert_eq!(json["version"], 1);
    /// assert_eq!(json["app_id"], emulator.app_id());
    /// # Ok(()) }
    /// ```
    pub fn to_json(&self) -> String {
        // Strings, numbers, maps with string keys: serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The app id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::builder().app_id("shop").start().await?;
    /// assert_eq!(emulator.export_state().app_id(), "shop");
    /// # Ok(()) }
    /// ```
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The auth origin the app was served at when the state was taken. Tokens issued then name
    /// it (`iss`, `aud`), so they validate only against an emulator at the same address and
    /// port.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.export_state().auth_origin(), emulator.auth_base_url());
    /// # Ok(()) }
    /// ```
    pub fn auth_origin(&self) -> &str {
        &self.auth_origin
    }

    /// How many users the state holds.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// assert_eq!(emulator.export_state().user_count(), 1);
    /// # Ok(()) }
    /// ```
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The state of a running app.
    pub(crate) fn capture(
        app_id: &str,
        api_key: &str,
        app_created_at: DateTime<Utc>,
        auth_origin: &str,
        keys: &[SigningKey],
        store: &Store,
    ) -> Self {
        let StoreState { users, magic_links } = store.to_state();
        Self {
            version: STATE_VERSION,
            app_id: app_id.to_owned(),
            api_key: api_key.to_owned(),
            app_created_at,
            auth_origin: auth_origin.to_owned(),
            signing_keys: keys
                .iter()
                .map(|k| KeyState {
                    kid: k.kid().to_owned(),
                    private_key_pem: k.private_key_pem().to_owned(),
                })
                .collect(),
            users,
            magic_links,
        }
    }

    fn parse(json: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| format!("it is not JSON ({e})"))?;
        let Some(object) = value.as_object() else {
            return Err("it is not a JSON object".to_owned());
        };
        match object.get("version") {
            None => {
                return Err("it has no \"version\" field: it is not an emulator state".to_owned());
            }
            Some(version) if version.as_u64() != Some(STATE_VERSION) => {
                return Err(format!(
                    "version {version} is not one this emulator reads (it reads version \
                     {STATE_VERSION})"
                ));
            }
            Some(_) => {}
        }
        let state: Self = serde_json::from_value(value).map_err(|e| e.to_string())?;
        state.check()?;
        Ok(state)
    }

    /// Checks every part, and builds what the emulator serves from.
    pub(crate) fn check(&self) -> Result<CheckedState, String> {
        if self.version != STATE_VERSION {
            return Err(format!(
                "version {} is not one this emulator reads (it reads version {STATE_VERSION})",
                self.version
            ));
        }
        if let Some(reason) = super::builder::app_id_problem(&self.app_id) {
            return Err(format!("app_id {:?} {reason}", self.app_id));
        }
        if let Some(reason) = super::builder::api_key_problem(&self.api_key) {
            return Err(format!("api_key {reason}"));
        }
        if self.signing_keys.is_empty() {
            return Err("it has no signing key".to_owned());
        }
        let mut keys = Vec::with_capacity(self.signing_keys.len());
        for key in &self.signing_keys {
            if keys.iter().any(|k: &SigningKey| k.kid() == key.kid) {
                return Err(format!("signing key {:?} appears twice", key.kid));
            }
            keys.push(SigningKey::from_private_pem(
                &key.kid,
                &key.private_key_pem,
            )?);
        }
        let store = Store::from_state(StoreState {
            users: self.users.clone(),
            magic_links: self.magic_links.clone(),
        })?;
        Ok(CheckedState {
            app_id: self.app_id.clone(),
            api_key: Secret::new(self.api_key.clone()),
            app_created_at: self.app_created_at,
            keys,
            store,
        })
    }
}

impl Emulator {
    /// The app as saved state: app id, API key, signing keys, users, devices, magic links. See
    /// [`EmulatorState`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let state = emulator.export_state();
    /// assert_eq!((state.app_id(), state.user_count()), (emulator.app_id(), 1));
    /// # Ok(()) }
    /// ```
    pub fn export_state(&self) -> EmulatorState {
        self.ctx.export_state()
    }

    /// Writes the state to the [state file](super::EmulatorBuilder::state_file), atomically,
    /// and returns its path; [`EmulatorError::NoStateFile`] without one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use passage_identity::emulator::{Emulator, EmulatorError, EmulatorState};
    ///
    /// let path = std::env::temp_dir().join(format!("doc-save-{}.json", std::process::id()));
    /// let emulator = Emulator::builder().state_file(&path).start().await?;
    /// emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// assert_eq!(emulator.save_state()?, path);
    /// let saved = EmulatorState::from_json(&std::fs::read_to_string(&path)?)?;
    /// assert_eq!(saved.user_count(), 1);
    /// # std::fs::remove_file(&path)?;
    /// assert!(matches!(Emulator::start().await?.save_state(), Err(EmulatorError::NoStateFile)));
    /// # Ok(()) }
    /// ```
    pub fn save_state(&self) -> Result<&Path, EmulatorError> {
        self.ctx.save_state()
    }

    /// The state file, if the emulator has one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// assert_eq!(emulator.state_file(), None);
    /// # Ok(()) }
    /// ```
    pub fn state_file(&self) -> Option<&Path> {
        self.ctx.state_file.as_deref()
    }
}
