//! The handle's direct access to the store: seeding and reading users, their devices, sign-ins
//! and social connections, refresh-token revocations and magic links, without HTTP (nothing is
//! logged).

use std::net::IpAddr;
use std::time::SystemTime;

use super::Emulator;
use super::error::EmulatorError;
use super::store::events::{Client, EMULATOR_USER_AGENT};
use super::store::{self, NewUser, SentMagicLink, UserChanges, UserSeed};
use crate::enums::{SocialConnectionType, UserStatus};
use crate::raw::types;

/// A sign-in to record with [`Emulator::record_login_with`]: where it came from, whether it went
/// through a social provider, and whether it completed.
///
/// By default: from `127.0.0.1` with the emulator's own user agent, not social, complete.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
/// use passage_identity::emulator::{Emulator, SignIn};
///
/// let emulator = Emulator::start().await?;
/// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
/// let sign_in = SignIn::default()
///     .ip_addr("192.0.2.7".parse().unwrap())
///     .user_agent("Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0");
/// let user = emulator.record_login_with(&user.id, sign_in)?;
/// let event = &user.recent_events[0];
/// assert_eq!((event.type_.as_str(), event.ip_addr.as_str()), ("login", "192.0.2.7"));
/// assert_eq!(event.user_agent_display, "Firefox on Linux");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct SignIn {
    ip_addr: IpAddr,
    user_agent: String,
    social: Option<SocialConnectionType>,
    complete: bool,
}

impl Default for SignIn {
    fn default() -> Self {
        Self {
            ip_addr: IpAddr::from([127, 0, 0, 1]),
            user_agent: EMULATOR_USER_AGENT.to_owned(),
            social: None,
            complete: true,
        }
    }
}

impl SignIn {
    /// The client's IP address (`ip_addr` of the event).
    ///
    /// ```
    /// let sign_in = passage_identity::emulator::SignIn::default().ip_addr("::1".parse().unwrap());
    /// # let _ = sign_in;
    /// ```
    pub fn ip_addr(mut self, ip_addr: IpAddr) -> Self {
        self.ip_addr = ip_addr;
        self
    }

    /// The client's user agent (`user_agent` of the event; `user_agent_display` is derived).
    ///
    /// ```
    /// let sign_in = passage_identity::emulator::SignIn::default().user_agent("curl/8.5.0");
    /// # let _ = sign_in;
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The social provider the user signed in with (`social_login_type` of the event). A
    /// complete sign-in also moves that connection's `last_login_at`, if the user has it.
    ///
    /// ```
    /// use passage_identity::enums::SocialConnectionType;
    /// let sign_in = passage_identity::emulator::SignIn::default().social(SocialConnectionType::Github);
    /// # let _ = sign_in;
    /// ```
    pub fn social(mut self, provider: SocialConnectionType) -> Self {
        self.social = Some(provider);
        self
    }

    /// A sign-in that was started but not completed: its event is `incomplete`, without
    /// `completed_at`, and it does not count in `login_count` or `last_login_at`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::emulator::{Emulator, SignIn};
    ///
    /// let emulator = Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let user = emulator.record_login_with(&user.id, SignIn::default().incomplete())?;
    /// assert_eq!(user.login_count, 0);
    /// assert!(user.recent_events[0].completed_at.is_none());
    /// # Ok(()) }
    /// ```
    pub fn incomplete(mut self) -> Self {
        self.complete = false;
        self
    }
}

/// How often a user's refresh tokens were revoked, from
/// [`Emulator::refresh_token_revocations`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
/// let emulator = passage_identity::emulator::Emulator::start().await?;
/// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
/// let revocations = emulator.refresh_token_revocations(&user.id)?;
/// assert_eq!((revocations.count, revocations.last_at), (0, None));
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefreshTokenRevocations {
    /// How many times revoke-user-refresh-tokens succeeded for the user.
    pub count: u64,
    /// When it last did.
    pub last_at: Option<SystemTime>,
}

impl Emulator {
    /// Registers a passkey for a user, as signing up with a Passage element would.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let device = emulator.add_device(&user.id, "Ada's laptop")?;
    /// assert_eq!(device.friendly_name, "Ada's laptop");
    /// assert!(emulator.user(&user.id)?.webauthn);
    /// # Ok(()) }
    /// ```
    pub fn add_device(
        &self,
        user_id: &str,
        friendly_name: &str,
    ) -> Result<types::WebAuthnDevice, EmulatorError> {
        self.ctx
            .store()
            .add_device(user_id, friendly_name, store::now())
            .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))
    }

    /// Creates an active user without HTTP (no request is logged), with the checks of
    /// create-user: an email or an E.164 phone (or both), neither taken.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("Ada@Example.com"), Some("+15551234567"))?;
    /// assert_eq!(user.email, "ada@example.com");
    /// assert_eq!(user.id.len(), 24);
    /// assert!(emulator.create_user_directly(Some("ada@example.com"), None).is_err());
    /// # Ok(()) }
    /// ```
    pub fn create_user_directly(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<types::PassageUser, EmulatorError> {
        let new = NewUser {
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            user_metadata: None,
            status: UserStatus::Active,
        };
        Ok(self
            .ctx
            .store()
            .create_user(new, store::now())?
            .to_passage_user())
    }

    /// Creates a user without HTTP in any state a test needs: status, verified email or phone,
    /// metadata, passkeys, past sign-ins. See [`UserSeed`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::emulator::{Emulator, UserSeed};
    ///
    /// let emulator = Emulator::start().await?;
    /// let user = emulator.seed_user(UserSeed::new().phone("+15551234567").phone_verified(true))?;
    /// assert!(user.phone_verified);
    /// assert!(emulator.seed_user(UserSeed::new()).is_err(), "an email or a phone is needed");
    /// # Ok(()) }
    /// ```
    pub fn seed_user(&self, seed: UserSeed) -> Result<types::PassageUser, EmulatorError> {
        Ok(self.ctx.seed_user(seed)?)
    }

    /// Empties the app: no users, devices or magic links, no pending fault, an empty request
    /// log. The app id, API key and signing keys stay, so tokens already issued still verify.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// emulator.reset();
    /// assert_eq!(emulator.user_count(), 0);
    /// # Ok(()) }
    /// ```
    pub fn reset(&self) {
        self.ctx.reset();
    }

    /// Changes a user's email, phone or metadata without HTTP, with the checks of update-user
    /// (`Some("")` clears an email or phone as long as the other remains).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let user = emulator.update_user_directly(&user.id, None, Some("+15551234567"), None)?;
    /// assert_eq!(user.phone, "+15551234567");
    /// # Ok(()) }
    /// ```
    pub fn update_user_directly(
        &self,
        user_id: &str,
        email: Option<&str>,
        phone: Option<&str>,
        user_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<types::PassageUser, EmulatorError> {
        let changes = UserChanges {
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            user_metadata,
        };
        let mut store = self.ctx.store();
        known_user(&store, user_id)?;
        Ok(store
            .update_user(user_id, changes, store::now())?
            .to_passage_user())
    }

    /// The user `user_id` as get-user would return it, read without HTTP.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(None, Some("+15551234567"))?;
    /// assert_eq!(emulator.user(&user.id)?, user);
    /// assert!(emulator.user("nobody").is_err());
    /// # Ok(()) }
    /// ```
    pub fn user(&self, user_id: &str) -> Result<types::PassageUser, EmulatorError> {
        self.ctx
            .store()
            .user(user_id)
            .map(|u| u.to_passage_user())
            .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))
    }

    /// How many users the app has.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// assert_eq!(emulator.user_count(), 1);
    /// # Ok(()) }
    /// ```
    pub fn user_count(&self) -> usize {
        self.ctx.store().users().count()
    }

    /// Records a sign-in of the user, as Passage would when they log in: `login_count` goes up,
    /// `last_login_at` becomes now, and a `login` event is added to `recent_events` (from
    /// `127.0.0.1`, with the emulator's user agent; see [`Emulator::record_login_with`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let user = emulator.record_login(&user.id)?;
    /// assert_eq!(user.login_count, 1);
    /// let actions: Vec<&str> = user.recent_events.iter().map(|e| e.action.as_str()).collect();
    /// assert_eq!(actions, ["login", "register"]);
    /// # Ok(()) }
    /// ```
    pub fn record_login(&self, user_id: &str) -> Result<types::PassageUser, EmulatorError> {
        self.record_login_with(user_id, SignIn::default())
    }

    /// Records a sign-in described by [`SignIn`]: its address and user agent, its social
    /// provider, whether it completed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::emulator::{Emulator, SignIn};
    /// use passage_identity::enums::SocialConnectionType;
    ///
    /// let emulator = Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// emulator.set_social_connection(&user.id, SocialConnectionType::Google, "g-1", "ada@example.com")?;
    /// let user = emulator.record_login_with(&user.id, SignIn::default().social(SocialConnectionType::Google))?;
    /// assert_eq!(user.recent_events[0].social_login_type, Some(SocialConnectionType::Google));
    /// # Ok(()) }
    /// ```
    pub fn record_login_with(
        &self,
        user_id: &str,
        sign_in: SignIn,
    ) -> Result<types::PassageUser, EmulatorError> {
        let client = Client {
            ip_addr: sign_in.ip_addr.to_string(),
            user_agent: sign_in.user_agent,
        };
        let mut store = self.ctx.store();
        known_user(&store, user_id)?;
        Ok(store
            .record_login(
                user_id,
                client,
                sign_in.social,
                sign_in.complete,
                store::now(),
            )?
            .to_passage_user())
    }

    /// Connects the user to an account at a social provider (`social_connections` of the user):
    /// `provider_id` is the account's id there, `provider_identifier` its email. Connecting the
    /// same account again keeps its `created_at`; another account replaces it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::enums::SocialConnectionType;
    ///
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let user = emulator.set_social_connection(&user.id, SocialConnectionType::Github, "1234", "ada@example.com")?;
    /// let github = user.social_connections.github.unwrap();
    /// assert_eq!((github.provider_id.as_str(), github.provider_identifier.as_str()), ("1234", "ada@example.com"));
    /// assert!(user.social_connections.google.is_none());
    /// # Ok(()) }
    /// ```
    pub fn set_social_connection(
        &self,
        user_id: &str,
        provider: SocialConnectionType,
        provider_id: &str,
        provider_identifier: &str,
    ) -> Result<types::PassageUser, EmulatorError> {
        let mut store = self.ctx.store();
        known_user(&store, user_id)?;
        Ok(store
            .set_social_connection(
                user_id,
                &provider,
                provider_id,
                provider_identifier,
                store::now(),
            )?
            .to_passage_user())
    }

    /// Disconnects the user from a social provider (nothing changes if they were not connected).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use passage_identity::enums::SocialConnectionType;
    ///
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// emulator.set_social_connection(&user.id, SocialConnectionType::Apple, "a-1", "ada@example.com")?;
    /// let user = emulator.remove_social_connection(&user.id, SocialConnectionType::Apple)?;
    /// assert!(user.social_connections.apple.is_none());
    /// # Ok(()) }
    /// ```
    pub fn remove_social_connection(
        &self,
        user_id: &str,
        provider: SocialConnectionType,
    ) -> Result<types::PassageUser, EmulatorError> {
        let mut store = self.ctx.store();
        known_user(&store, user_id)?;
        Ok(store
            .remove_social_connection(user_id, &provider, store::now())?
            .to_passage_user())
    }

    /// How often the user's refresh tokens were revoked (revoke-user-refresh-tokens), and when
    /// last.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let user = emulator.create_user_directly(Some("ada@example.com"), None)?;
    /// let passage = emulator.passage();
    /// passage.raw().revoke_user_refresh_tokens().app_id(passage.app_id()).user_id(&user.id).send().await?;
    /// assert_eq!(emulator.refresh_token_revocations(&user.id)?.count, 1);
    /// # Ok(()) }
    /// ```
    pub fn refresh_token_revocations(
        &self,
        user_id: &str,
    ) -> Result<RefreshTokenRevocations, EmulatorError> {
        let store = self.ctx.store();
        let user = store
            .user(user_id)
            .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))?;
        Ok(RefreshTokenRevocations {
            count: user.revocations.count,
            last_at: user.revocations.last_at.map(SystemTime::from),
        })
    }

    /// The magic links created so far, oldest first (nothing is sent: read the link here).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let passage = emulator.passage();
    /// passage
    ///     .raw()
    ///     .create_magic_link()
    ///     .app_id(passage.app_id())
    ///     .body_map(|b| b.email(Some("ada@example.com".to_owned())).send(Some(true)))
    ///     .send()
    ///     .await?;
    /// assert_eq!(emulator.magic_links()[0].identifier, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub fn magic_links(&self) -> Vec<types::MagicLink> {
        self.ctx
            .store()
            .magic_links()
            .iter()
            .map(|sent| sent.link.clone())
            .collect()
    }

    /// The magic links created so far, oldest first, with the language and channel they would
    /// have been sent in. See [`SentMagicLink`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emulator = passage_identity::emulator::Emulator::start().await?;
    /// let passage = emulator.passage();
    /// passage
    ///     .create_magic_link(passage_identity::CreateMagicLink::phone("+15551234567"))
    ///     .await?;
    /// let sent = &emulator.sent_magic_links()[0];
    /// assert_eq!((sent.link.identifier.as_str(), sent.language.as_str()), ("+15551234567", "en"));
    /// # Ok(()) }
    /// ```
    pub fn sent_magic_links(&self) -> Vec<SentMagicLink> {
        self.ctx.store().magic_links().to_vec()
    }
}

/// Fails with [`EmulatorError::UserNotFound`] unless the store has the user.
fn known_user(store: &store::Store, user_id: &str) -> Result<(), EmulatorError> {
    store
        .user(user_id)
        .map(|_| ())
        .map_err(|_| EmulatorError::UserNotFound(user_id.to_owned()))
}
