//! The app's settings: [`Passage::app`](crate::Passage::app) and its [`App`] handle.

use crate::management::raw::types::AppInfo;
use crate::management::transport;
use crate::management::{Client, ManagementError};

/// The app's settings, from [`Passage::app`](crate::Passage::app).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = passage_identity::emulator::Emulator::start().await?;
/// # let passage = emulator.passage();
/// let app = passage.app().get().await?;
/// println!("{} at {}", app.name, app.auth_origin);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct App<'a> {
    client: &'a Client,
}

impl<'a> App<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client }
    }

    /// Gets the app's settings.
    ///
    /// The returned value never holds the app's `secret` (Passage does not send it to API-key
    /// callers; should it ever, it is dropped here so that it cannot reach a log through
    /// `Debug`). Use [`Passage::raw`](crate::Passage::raw) if you really need it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// let app = passage.app().get().await?;
    /// if app.auth_methods.passkeys.enabled {
    ///     println!("{} accepts passkeys", app.name);
    /// }
    /// assert_eq!(app.secret, None);
    /// # Ok(()) }
    /// ```
    pub async fn get(&self) -> Result<AppInfo, ManagementError> {
        let request = self
            .client
            .raw()
            .get_app()
            .app_id(self.client.app_id())
            .send();
        let mut app = transport::call(self.client, request).await?.app;
        app.secret = None;
        Ok(app)
    }
}
