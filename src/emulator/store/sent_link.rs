//! A magic link as the store keeps it: the link create-magic-link answered with, and how it
//! would have been sent.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::emulator::controls::redact::REDACTED;
use crate::raw::types;

/// A magic link the emulator would have sent (it sends nothing), from
/// [`Emulator::sent_magic_links`](crate::emulator::Emulator::sent_magic_links): the link as
/// create-magic-link answered with it, the language of the message and the channel it would
/// have gone by. `Debug` leaves out the secret and the URL that holds it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use passage_identity::CreateMagicLink;
/// use passage_identity::raw::types::{MagicLinkChannel, MagicLinkLanguage};
///
/// let emulator = passage_identity::emulator::Emulator::start().await?;
/// let passage = emulator.passage();
/// passage
///     .create_magic_link(CreateMagicLink::email("ada@example.com").language(MagicLinkLanguage::De))
///     .await?;
/// let sent = &emulator.sent_magic_links()[0];
/// assert_eq!((sent.language.as_str(), sent.channel), ("de", MagicLinkChannel::Email));
/// assert!(sent.link.url.ends_with(&sent.link.secret));
/// assert!(!format!("{sent:?}").contains(&sent.link.secret));
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SentMagicLink {
    /// The link: `url`, `secret`, `identifier`, `type`, `ttl`, `user_id`, `redirect_url`...
    #[serde(flatten)]
    pub link: types::MagicLink,
    /// The language of the message: as asked, else the app's default, `en`.
    pub language: String,
    /// The channel it would have gone by.
    pub channel: types::MagicLinkChannel,
}

impl fmt::Debug for SentMagicLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentMagicLink")
            .field("id", &self.link.id)
            .field("type", &self.link.type_)
            .field("identifier", &self.link.identifier)
            .field("user_id", &self.link.user_id)
            .field("secret", &REDACTED)
            .field("url", &REDACTED)
            .field("language", &self.language)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}
