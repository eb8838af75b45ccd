//! Users created directly, in any state: status, verified email or phone, metadata, passkeys
//! and past sign-ins, as a test needs them (create-user makes only fresh, active users).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::input::given;
use super::{Metadata, NewUser, Store, UserRecord};
use crate::emulator::rejection::ApiError;
use crate::enums::UserStatus;

/// A user to create directly with [`Emulator::seed_user`], or over HTTP with
/// `POST /emulator/v1/apps/{app_id}/users` (the same fields, as JSON).
///
/// Email and phone get the checks of create-user (at least one, well-formed, not taken). By
/// default the user is active, unverified, without metadata, passkeys or sign-ins.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
/// use passage_identity::emulator::{Emulator, UserSeed};
/// use passage_identity::enums::UserStatus;
///
/// let emulator = Emulator::start().await?;
/// let user = emulator.seed_user(
///     UserSeed::new()
///         .email("ada@example.com")
///         .email_verified(true)
///         .status(UserStatus::Inactive)
///         .device("Ada's laptop")
///         .logins(3),
/// )?;
/// assert_eq!((user.status, user.email_verified, user.login_count), (UserStatus::Inactive, true, 3));
/// assert_eq!(user.webauthn_devices[0].friendly_name, "Ada's laptop");
/// # Ok(()) }
/// ```
///
/// [`Emulator::seed_user`]: crate::emulator::Emulator::seed_user
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[must_use]
pub struct UserSeed {
    email: Option<String>,
    phone: Option<String>,
    status: Option<UserStatus>,
    email_verified: bool,
    phone_verified: bool,
    user_metadata: Option<Metadata>,
    devices: Vec<String>,
    login_count: u32,
}

impl UserSeed {
    /// A user with nothing set yet (give an email or a phone).
    ///
    /// ```
    /// let seed = passage_identity::emulator::UserSeed::new().phone("+15551234567");
    /// # let _ = seed;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The email address.
    ///
    /// ```
    /// let seed = passage_identity::emulator::UserSeed::new().email("ada@example.com");
    /// # let _ = seed;
    /// ```
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The phone number, E.164.
    ///
    /// ```
    /// let seed = passage_identity::emulator::UserSeed::new().phone("+15551234567");
    /// # let _ = seed;
    /// ```
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// The status. Default: active.
    ///
    /// ```
    /// use passage_identity::enums::UserStatus;
    /// let seed = passage_identity::emulator::UserSeed::new().status(UserStatus::Pending);
    /// # let _ = seed;
    /// ```
    pub fn status(mut self, status: UserStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Whether the email is verified (it needs an email). Default: no.
    ///
    /// ```
    /// let seed = passage_identity::emulator::UserSeed::new().email("a@example.com").email_verified(true);
    /// # let _ = seed;
    /// ```
    pub fn email_verified(mut self, verified: bool) -> Self {
        self.email_verified = verified;
        self
    }

    /// Whether the phone is verified (it needs a phone). Default: no.
    ///
    /// ```
    /// let seed = passage_identity::emulator::UserSeed::new().phone("+15551234567").phone_verified(true);
    /// # let _ = seed;
    /// ```
    pub fn phone_verified(mut self, verified: bool) -> Self {
        self.phone_verified = verified;
        self
    }

    /// The user metadata (an empty map means none).
    ///
    /// ```
    /// let mut metadata = serde_json::Map::new();
    /// metadata.insert("plan".into(), "pro".into());
    /// let seed = passage_identity::emulator::UserSeed::new().email("a@example.com").metadata(metadata);
    /// # let _ = seed;
    /// ```
    pub fn metadata(mut self, metadata: serde_json::Map<String, serde_json::Value>) -> Self {
        self.user_metadata = Some(metadata);
        self
    }

    /// A passkey registered under this friendly name (call again for more).
    ///
    /// ```
    /// let seed = passage_identity::emulator::UserSeed::new().email("a@example.com").device("Phone").device("Laptop");
    /// # let _ = seed;
    /// ```
    pub fn device(mut self, friendly_name: impl Into<String>) -> Self {
        self.devices.push(friendly_name.into());
        self
    }

    /// How many times the user has signed in (the last time: at creation). Default: 0.
    ///
    /// ```
    /// let seed = passage_identity::emulator::UserSeed::new().email("a@example.com").logins(2);
    /// # let _ = seed;
    /// ```
    pub fn logins(mut self, count: u32) -> Self {
        self.login_count = count;
        self
    }
}

impl Store {
    /// Creates a user as `seed` says, or nothing at all when any of it is wrong.
    pub(crate) fn seed_user(
        &mut self,
        seed: UserSeed,
        now: DateTime<Utc>,
    ) -> Result<&UserRecord, ApiError> {
        let status = match seed.status.unwrap_or(UserStatus::Active) {
            UserStatus::Unknown(other) => {
                return Err(ApiError::invalid_request(format!(
                    "status {other:?} is not active, inactive or pending"
                )));
            }
            known => known,
        };
        if seed.email_verified && given(seed.email.as_deref()).is_none() {
            return Err(ApiError::invalid_request(
                "email_verified needs an email address",
            ));
        }
        if seed.phone_verified && given(seed.phone.as_deref()).is_none() {
            return Err(ApiError::invalid_request(
                "phone_verified needs a phone number",
            ));
        }
        if seed.devices.iter().any(|name| name.trim().is_empty()) {
            return Err(ApiError::invalid_request(
                "every device needs a non-empty friendly name",
            ));
        }
        let new = NewUser {
            email: seed.email,
            phone: seed.phone,
            user_metadata: seed.user_metadata,
            status,
        };
        let id = self.create_user(new, now)?.id.clone();
        for name in &seed.devices {
            self.add_device(&id, name, now)?;
        }
        let user = self.user_mut(&id)?;
        user.email_verified = seed.email_verified;
        user.phone_verified = seed.phone_verified;
        user.updated_at = now;
        if seed.login_count > 0 {
            user.login_count = i64::from(seed.login_count);
            user.last_login_at = Some(now);
        }
        Ok(user)
    }
}
