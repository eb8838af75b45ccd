//! Managing the app's users through the Management API: [`Passage::user`](crate::Passage::user) and its [`Users`]
//! handle.
//!
//! Every method checks its arguments before sending anything, needs the app's API key, and goes
//! through the generated client ([`Passage::raw`](crate::Passage::raw)), so reads and idempotent writes are retried
//! and every call is traced.

mod filter;
mod list;
mod params;

pub use filter::{Filter, Op, SortField, SortOrder};
pub use list::{ListUsers, MAX_PAGE_SIZE, UserStream};
pub use params::{CreateUser, UpdateUser};

use crate::management::raw::types::{PassageUser, WebAuthnDevice};
use crate::management::transport;
use crate::management::{Client, ManagementError, input};

/// The app's users, from [`Passage::user`](crate::Passage::user).
///
/// Methods return the generated types ([`PassageUser`], [`WebAuthnDevice`],
/// [`UserSummary`](crate::raw::types::UserSummary)): their fields are the API's, documented in
/// [`raw::types`](crate::raw::types). A user without an email or a phone number carries an empty
/// string there.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = passage_identity::emulator::Emulator::start().await?;
/// # let passage = emulator.passage();
/// use passage_identity::{CreateUser, UpdateUser};
///
/// let users = passage.user();
/// let ada = users.create(CreateUser::email("ada@example.com")).await?;
/// users.update(&ada.id, UpdateUser::new().phone("+15551234567")).await?;
/// users.deactivate(&ada.id).await?;
/// users.delete(&ada.id).await?;
/// assert!(users.get(&ada.id).await.unwrap_err().is_not_found());
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Users<'a> {
    client: &'a Client,
}

impl<'a> Users<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Gets a user by id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// let user = passage.user().get(&id).await?;
    /// assert_eq!(user.id, id);
    /// assert_eq!(user.email, "ada@example.com");
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, user_id: &str) -> Result<PassageUser, ManagementError> {
        let user_id = input::id("user_id", user_id)?;
        let request = self
            .client
            .raw()
            .get_user()
            .app_id(self.client.app_id())
            .user_id(user_id)
            .send();
        Ok(transport::call(self.client, request).await?.user)
    }

    /// Gets a user by email address or E.164 phone number, as the vendor SDKs do: the
    /// identifier is lower-cased, looked up with a one-user listing, then the user is fetched by
    /// id. No such user is a not-found error with code `user_not_found`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # emulator.create_user_directly(Some("ada@example.com"), Some("+15551234567"))?;
    /// let by_email = passage.user().get_by_identifier("Ada@Example.com").await?;
    /// let by_phone = passage.user().get_by_identifier("+15551234567").await?;
    /// assert_eq!(by_email.id, by_phone.id);
    ///
    /// let nobody = passage.user().get_by_identifier("nobody@example.com").await;
    /// assert_eq!(nobody.unwrap_err().code(), Some("user_not_found"));
    /// # Ok(()) }
    /// ```
    pub async fn get_by_identifier(
        &self,
        email_or_phone: &str,
    ) -> Result<PassageUser, ManagementError> {
        let identifier = email_or_phone.to_lowercase();
        if identifier.is_empty() {
            return Err(ManagementError::invalid("identifier", "must not be empty"));
        }
        if identifier.contains('@') {
            input::email("identifier", &identifier)?;
        } else {
            input::phone("identifier", &identifier).map_err(|_| {
                ManagementError::invalid(
                    "identifier",
                    "must be an email address or an E.164 phone number (e.g. +15551234567)",
                )
            })?;
        }
        let page = self.list().identifier(identifier).limit(1).send().await?;
        match page.users.first() {
            Some(found) => self.get(&found.id).await,
            None => Err(ManagementError::not_found(
                "user_not_found",
                "no user has this identifier",
                "list_paginated_users",
            )),
        }
    }

    /// Creates a user with an email address, a phone number, or both. Never retried: a lost
    /// answer could mean the user exists, and a second attempt would fail or duplicate.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// use passage_identity::CreateUser;
    ///
    /// let user = passage
    ///     .user()
    ///     .create(CreateUser::email("ada@example.com").metadata(serde_json::json!({ "plan": "pro" })))
    ///     .await?;
    /// assert_eq!(user.email, "ada@example.com");
    ///
    /// // Bad input never leaves the process:
    /// let bad = passage.user().create(CreateUser::phone("555-1234")).await;
    /// assert!(bad.unwrap_err().to_string().starts_with("invalid phone"));
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, user: CreateUser) -> Result<PassageUser, ManagementError> {
        let body = user.into_request()?;
        let request = self
            .client
            .raw()
            .create_user()
            .app_id(self.client.app_id())
            .body(body)
            .send();
        Ok(transport::call(self.client, request).await?.user)
    }

    /// Changes a user's email address, phone number or metadata. Never retried.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// use passage_identity::UpdateUser;
    ///
    /// let user = passage
    ///     .user()
    ///     .update(&id, UpdateUser::new().email("ada@new.example.com"))
    ///     .await?;
    /// assert_eq!(user.email, "ada@new.example.com");
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        user_id: &str,
        changes: UpdateUser,
    ) -> Result<PassageUser, ManagementError> {
        let user_id = input::id("user_id", user_id)?;
        let body = changes.into_request()?;
        let request = self
            .client
            .raw()
            .update_user()
            .app_id(self.client.app_id())
            .user_id(user_id)
            .body(body)
            .send();
        Ok(transport::call(self.client, request).await?.user)
    }

    /// Activates a user, allowing them to sign in again.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// # passage.user().deactivate(&id).await?;
    /// use passage_identity::enums::UserStatus;
    /// let user = passage.user().activate(&id).await?;
    /// assert_eq!(user.status, UserStatus::Active);
    /// # Ok(()) }
    /// ```
    pub async fn activate(&self, user_id: &str) -> Result<PassageUser, ManagementError> {
        let user_id = input::id("user_id", user_id)?;
        let request = self
            .client
            .raw()
            .activate_user()
            .app_id(self.client.app_id())
            .user_id(user_id)
            .send();
        Ok(transport::call(self.client, request).await?.user)
    }

    /// Deactivates a user: the account stays, but cannot sign in.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// use passage_identity::enums::UserStatus;
    /// let user = passage.user().deactivate(&id).await?;
    /// assert_eq!(user.status, UserStatus::Inactive);
    /// # Ok(()) }
    /// ```
    pub async fn deactivate(&self, user_id: &str) -> Result<PassageUser, ManagementError> {
        let user_id = input::id("user_id", user_id)?;
        let request = self
            .client
            .raw()
            .deactivate_user()
            .app_id(self.client.app_id())
            .user_id(user_id)
            .send();
        Ok(transport::call(self.client, request).await?.user)
    }

    /// Deletes a user.
    ///
    /// Retried like every idempotent call. When an attempt may have been carried out by Passage
    /// but its answer was lost (a timeout, a dropped connection, a gateway's 502, 503 or 504)
    /// and the retry then finds no such user (`user_not_found`), the earlier attempt deleted
    /// it: the call succeeds. Without such an attempt a missing user is a not-found error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// passage.user().delete(&id).await?;
    /// assert!(passage.user().get(&id).await.unwrap_err().is_not_found());
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, user_id: &str) -> Result<(), ManagementError> {
        let user_id = input::id("user_id", user_id)?;
        let request = self
            .client
            .raw()
            .delete_user()
            .app_id(self.client.app_id())
            .user_id(user_id)
            .send();
        transport::delete(self.client, request, "user_not_found").await
    }

    /// Lists a user's WebAuthn devices (passkeys, security keys).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// # emulator.add_device(&id, "Ada's laptop")?;
    /// for device in passage.user().list_devices(&id).await? {
    ///     println!("{} ({}), used {} times", device.friendly_name, device.type_, device.usage_count);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_devices(
        &self,
        user_id: &str,
    ) -> Result<Vec<WebAuthnDevice>, ManagementError> {
        let user_id = input::id("user_id", user_id)?;
        let request = self
            .client
            .raw()
            .list_user_devices()
            .app_id(self.client.app_id())
            .user_id(user_id)
            .send();
        Ok(transport::call(self.client, request).await?.devices)
    }

    /// Revokes one of a user's devices; it can no longer be used to sign in.
    ///
    /// As with [`delete`](Self::delete), a retry that finds no such device
    /// (`device_not_found`) after an attempt whose answer was lost counts as success.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// # let device_id = emulator.add_device(&id, "Ada's laptop")?.id;
    /// passage.user().revoke_device(&id, &device_id).await?;
    /// assert!(passage.user().list_devices(&id).await?.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn revoke_device(
        &self,
        user_id: &str,
        device_id: &str,
    ) -> Result<(), ManagementError> {
        let user_id = input::id("user_id", user_id)?;
        let device_id = input::id("device_id", device_id)?;
        let request = self
            .client
            .raw()
            .delete_user_devices()
            .app_id(self.client.app_id())
            .user_id(user_id)
            .device_id(device_id)
            .send();
        transport::delete(self.client, request, "device_not_found").await
    }

    /// Revokes all of a user's refresh tokens, signing them out everywhere once their current
    /// auth tokens expire.
    ///
    /// Retried like every idempotent call; revoking twice is harmless. Unlike the deletes, a
    /// `user_not_found` is always an error: revoking tokens removes no user, so an earlier
    /// attempt cannot explain it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// passage.user().revoke_refresh_tokens(&id).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_refresh_tokens(&self, user_id: &str) -> Result<(), ManagementError> {
        let user_id = input::id("user_id", user_id)?;
        let request = self
            .client
            .raw()
            .revoke_user_refresh_tokens()
            .app_id(self.client.app_id())
            .user_id(user_id)
            .send();
        transport::call(self.client, request).await
    }

    /// Starts a listing of the app's users: add filters, an order and a page size, then
    /// [`send`](ListUsers::send) for one page or [`stream`](ListUsers::stream) for all.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// # let id = emulator.create_user_directly(Some("ada@example.com"), None)?.id;
    /// # emulator.create_user_directly(Some("grace@example.com"), None)?;
    /// # passage.user().deactivate(&id).await?;
    /// use futures_util::TryStreamExt;
    /// use passage_identity::enums::UserStatus;
    ///
    /// let inactive: Vec<_> = passage
    ///     .user()
    ///     .list()
    ///     .status(UserStatus::Inactive)
    ///     .stream()
    ///     .try_collect()
    ///     .await?;
    /// assert_eq!(inactive.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListUsers<'a> {
        ListUsers::new(self.client)
    }
}
