//! The app's settings: [`Passage::app`] and its [`App`] handle.

use crate::Passage;
use crate::error::ManagementError;
use crate::raw::types::AppInfo;
use crate::transport;

/// The app's settings, from [`Passage::app`].
///
/// ```
/// # #[cfg(feature = "emulator")]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = passage_identity::emulator::Emulator::start().await?;
/// # let passage = emulator.passage();
/// let app = passage.app().get().await?;
/// println!("{} at {}", app.name, app.auth_origin);
/// # Ok(()) }
/// # #[cfg(not(feature = "emulator"))]
/// # fn main() {}
/// ```
#[derive(Clone, Copy, Debug)]
pub struct App<'a> {
    passage: &'a Passage,
}

impl Passage {
    /// The app's settings (name, origins, auth methods, ...). Needs the API key.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = passage_identity::emulator::Emulator::start().await?;
    /// # let passage = emulator.passage();
    /// let app = passage.app().get().await?;
    /// assert_eq!(app.id, passage.app_id());
    /// # Ok(()) }
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub fn app(&self) -> App<'_> {
        App { passage: self }
    }
}

impl App<'_> {
    /// Gets the app's settings.
    ///
    /// The returned value never holds the app's `secret` (Passage does not send it to API-key
    /// callers; should it ever, it is dropped here so that it cannot reach a log through
    /// `Debug`). Use [`Passage::raw`] if you really need it.
    ///
    /// ```
    /// # #[cfg(feature = "emulator")]
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
    /// # #[cfg(not(feature = "emulator"))]
    /// # fn main() {}
    /// ```
    pub async fn get(&self) -> Result<AppInfo, ManagementError> {
        let request = self
            .passage
            .raw()
            .get_app()
            .app_id(self.passage.app_id())
            .send();
        let mut app = transport::call(self.passage, request).await?.app;
        app.secret = None;
        Ok(app)
    }
}
