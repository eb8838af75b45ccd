//! Magic links: [`Passage::create_magic_link`](crate::Passage::create_magic_link), its input [`CreateMagicLink`] and its answer
//! [`MagicLink`].

use std::fmt;

use super::input::{
    email as check_email, id as check_id, phone as check_phone,
    relative_path as check_relative_path,
};
use crate::management::enums::MagicLinkType;
use crate::management::raw::types::{
    self, CreateMagicLinkRequest, MagicLinkChannel, MagicLinkLanguage,
};
use crate::management::transport;
use crate::management::{Client, ManagementError};

/// A magic link to create: for whom (by email, by phone, or by user id and channel), what it
/// does, and how it is delivered.
///
/// Everything is checked by [`Passage::create_magic_link`](crate::Passage::create_magic_link) before anything is sent.
///
/// ```
/// use passage_identity::raw::types::{MagicLinkChannel, MagicLinkLanguage};
/// use passage_identity::CreateMagicLink;
///
/// let by_email = CreateMagicLink::email("ada@example.com")
///     .send(true)
///     .language(MagicLinkLanguage::De)
///     .redirect_url("/dashboard")
///     .ttl_minutes(15);
/// let by_user = CreateMagicLink::user_id("2ubD84sL3kKHNd0dmYKAWmDn", MagicLinkChannel::Phone)
///     .verify_identifier();
/// # let _ = (by_email, by_user);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a CreateMagicLink does nothing until passed to Passage::create_magic_link"]
pub struct CreateMagicLink {
    target: Target,
    link_type: Option<MagicLinkType>,
    send: Option<bool>,
    language: Option<MagicLinkLanguage>,
    magic_link_path: Option<String>,
    redirect_url: Option<String>,
    ttl_minutes: Option<u64>,
}

#[derive(Clone, Debug)]
enum Target {
    Email(String),
    Phone(String),
    User(String, MagicLinkChannel),
}

impl CreateMagicLink {
    fn new(target: Target) -> Self {
        Self {
            target,
            link_type: None,
            send: None,
            language: None,
            magic_link_path: None,
            redirect_url: None,
            ttl_minutes: None,
        }
    }

    /// A link for the user with this email address, delivered by email when sent.
    ///
    /// ```
    /// let link = passage_identity::CreateMagicLink::email("ada@example.com");
    /// # let _ = link;
    /// ```
    pub fn email(email: impl Into<String>) -> Self {
        Self::new(Target::Email(email.into()))
    }

    /// A link for the user with this E.164 phone number, delivered by SMS when sent.
    ///
    /// ```
    /// let link = passage_identity::CreateMagicLink::phone("+15551234567");
    /// # let _ = link;
    /// ```
    pub fn phone(phone: impl Into<String>) -> Self {
        Self::new(Target::Phone(phone.into()))
    }

    /// A link for the user with this id, delivered over `channel` when sent.
    ///
    /// ```
    /// use passage_identity::raw::types::MagicLinkChannel;
    /// let link = passage_identity::CreateMagicLink::user_id("2ubD84sL3kKHNd0dmYKAWmDn", MagicLinkChannel::Email);
    /// # let _ = link;
    /// ```
    pub fn user_id(user_id: impl Into<String>, channel: MagicLinkChannel) -> Self {
        Self::new(Target::User(user_id.into(), channel))
    }

    /// What the link does: sign in ([`MagicLinkType::Login`], the service's default) or verify
    /// the identifier ([`MagicLinkType::VerifyIdentifier`]).
    ///
    /// ```
    /// use passage_identity::enums::MagicLinkType;
    /// let link = passage_identity::CreateMagicLink::email("ada@example.com")
    ///     .link_type(MagicLinkType::Login);
    /// # let _ = link;
    /// ```
    pub fn link_type(mut self, link_type: MagicLinkType) -> Self {
        self.link_type = Some(link_type);
        self
    }

    /// Shorthand for `.link_type(MagicLinkType::VerifyIdentifier)`: the link confirms the
    /// user's email address or phone number.
    ///
    /// ```
    /// let link = passage_identity::CreateMagicLink::email("ada@example.com").verify_identifier();
    /// # let _ = link;
    /// ```
    pub fn verify_identifier(self) -> Self {
        self.link_type(MagicLinkType::VerifyIdentifier)
    }

    /// Whether Passage sends the link to the user (by email or SMS). When it does not, deliver
    /// [`MagicLink::url`] yourself.
    ///
    /// ```
    /// let link = passage_identity::CreateMagicLink::email("ada@example.com").send(true);
    /// # let _ = link;
    /// ```
    pub fn send(mut self, send: bool) -> Self {
        self.send = Some(send);
        self
    }

    /// The language of the email or SMS carrying the link.
    ///
    /// ```
    /// use passage_identity::raw::types::MagicLinkLanguage;
    /// let link = passage_identity::CreateMagicLink::email("ada@example.com")
    ///     .send(true)
    ///     .language(MagicLinkLanguage::Es);
    /// # let _ = link;
    /// ```
    pub fn language(mut self, language: MagicLinkLanguage) -> Self {
        self.language = Some(language);
        self
    }

    /// The path of your app the link opens, relative to the app's origin (e.g. `/verify`).
    ///
    /// ```
    /// let link = passage_identity::CreateMagicLink::email("ada@example.com")
    ///     .magic_link_path("/verify");
    /// # let _ = link;
    /// ```
    pub fn magic_link_path(mut self, path: impl Into<String>) -> Self {
        self.magic_link_path = Some(path.into());
        self
    }

    /// Where the user lands after the link signs them in.
    ///
    /// ```
    /// let link = passage_identity::CreateMagicLink::email("ada@example.com")
    ///     .redirect_url("/welcome");
    /// # let _ = link;
    /// ```
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }

    /// How long the link works, in minutes (at least 1). Default: the app's setting.
    ///
    /// ```
    /// let link = passage_identity::CreateMagicLink::email("ada@example.com").ttl_minutes(10);
    /// # let _ = link;
    /// ```
    pub fn ttl_minutes(mut self, minutes: u64) -> Self {
        self.ttl_minutes = Some(minutes);
        self
    }

    fn into_request(self) -> Result<CreateMagicLinkRequest, ManagementError> {
        let mut request = CreateMagicLinkRequest::default();
        match self.target {
            Target::Email(email) => {
                check_email("email", &email)?;
                request.email = Some(email);
                // The service needs the channel whenever it sends the link; the vendor SDKs always
                // set it, so do we.
                request.channel = Some(MagicLinkChannel::Email);
            }
            Target::Phone(phone) => {
                request.phone = Some(check_phone("phone", &phone)?.into_raw());
                request.channel = Some(MagicLinkChannel::Phone);
            }
            Target::User(user_id, channel) => {
                check_id("user_id", &user_id)?;
                request.user_id = Some(user_id);
                request.channel = Some(channel);
            }
        }
        if let Some(path) = self.magic_link_path {
            check_relative_path("magic_link_path", &path)?;
            request.magic_link_path = Some(path);
        }
        if let Some(url) = self.redirect_url {
            if url.trim().is_empty() {
                return Err(ManagementError::invalid(
                    "redirect_url",
                    "must not be empty (leave it unset for the app's default)",
                ));
            }
            request.redirect_url = Some(url);
        }
        if let Some(minutes) = self.ttl_minutes {
            let ttl = std::num::NonZeroU64::new(minutes).ok_or_else(|| {
                ManagementError::invalid("ttl", "a magic link lives at least 1 minute")
            })?;
            request.ttl = Some(ttl);
        }
        request.type_ = self.link_type;
        request.send = self.send;
        request.language = self.language;
        Ok(request)
    }
}

/// A magic link created by [`Passage::create_magic_link`](crate::Passage::create_magic_link).
///
/// Its URL and secret let anyone holding them sign in as the user: `Debug` hides both, as does
/// the generated [`raw::types::MagicLink`](crate::raw::types::MagicLink) it wraps, so logging
/// this value is safe.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = passage_identity::emulator::Emulator::start().await?;
/// # let passage = emulator.passage();
/// # emulator.create_user_directly(Some("ada@example.com"), None)?;
/// use passage_identity::CreateMagicLink;
///
/// let link = passage.create_magic_link(CreateMagicLink::email("ada@example.com")).await?;
/// tracing::info!(?link, "magic link created"); // no secret in the log
/// assert!(!format!("{link:?}").contains(link.secret()));
/// send_my_own_email("ada@example.com", link.url());
/// # fn send_my_own_email(_: &str, _: &str) {}
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq)]
pub struct MagicLink(types::MagicLink);

impl MagicLink {
    /// The link's id.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { println!("{}", link.id()); }
    /// ```
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The app the link belongs to.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { println!("{}", link.app_id()); }
    /// ```
    pub fn app_id(&self) -> &str {
        &self.0.app_id
    }

    /// The user the link signs in or verifies.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { println!("{}", link.user_id()); }
    /// ```
    pub fn user_id(&self) -> &str {
        &self.0.user_id
    }

    /// The email address or phone number the link was made for.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { println!("{}", link.identifier()); }
    /// ```
    pub fn identifier(&self) -> &str {
        &self.0.identifier
    }

    /// What the link does.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) {
    /// use passage_identity::enums::MagicLinkType;
    /// assert_eq!(link.link_type(), &MagicLinkType::Login);
    /// # }
    /// ```
    pub fn link_type(&self) -> &MagicLinkType {
        &self.0.type_
    }

    /// The URL the user opens. It is a credential: deliver it only to the user.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { let _url: &str = link.url(); }
    /// ```
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The link's secret. It is a credential: never log it.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { let _secret: &str = link.secret(); }
    /// ```
    pub fn secret(&self) -> &str {
        &self.0.secret
    }

    /// How long the link works, in minutes.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { println!("valid for {} min", link.ttl_minutes()); }
    /// ```
    pub fn ttl_minutes(&self) -> i64 {
        self.0.ttl
    }

    /// Whether the link has been used.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { assert!(!link.activated()); }
    /// ```
    pub fn activated(&self) -> bool {
        self.0.activated
    }

    /// Where the user lands after using the link.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) { println!("{}", link.redirect_url()); }
    /// ```
    pub fn redirect_url(&self) -> &str {
        &self.0.redirect_url
    }

    /// The generated type, secret included.
    ///
    /// ```no_run
    /// # fn demo(link: passage_identity::MagicLink) {
    /// let raw: passage_identity::raw::types::MagicLink = link.into_raw();
    /// # let _ = raw; }
    /// ```
    pub fn into_raw(self) -> types::MagicLink {
        self.0
    }
}

impl From<types::MagicLink> for MagicLink {
    fn from(link: types::MagicLink) -> Self {
        Self(link)
    }
}

impl fmt::Debug for MagicLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The generated type's `Debug` already shows `[redacted]` for the URL and the secret.
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Checks `link` and creates it (the body of
/// [`Passage::create_magic_link`](crate::Passage::create_magic_link)).
pub(crate) async fn create(
    client: &Client,
    link: CreateMagicLink,
) -> Result<MagicLink, ManagementError> {
    let body = link.into_request()?;
    let request = client
        .raw()
        .create_magic_link()
        .app_id(client.app_id())
        .body(body)
        .send();
    Ok(MagicLink(
        transport::call(client, request).await?.magic_link,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ManagementError) -> &'static str {
        match e {
            ManagementError::InvalidInput { field, .. } => field,
            other => panic!("not an input error: {other:?}"),
        }
    }

    #[test]
    fn request_by_email_with_every_option() {
        let request = CreateMagicLink::email("ada@example.com")
            .verify_identifier()
            .send(false)
            .language(MagicLinkLanguage::Pl)
            .magic_link_path("/verify?x=1")
            .redirect_url("/home")
            .ttl_minutes(5)
            .into_request()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "email": "ada@example.com",
                "channel": "email",
                "type": "verify_identifier",
                "send": false,
                "language": "pl",
                "magic_link_path": "/verify?x=1",
                "redirect_url": "/home",
                "ttl": 5,
            })
        );
    }

    #[test]
    fn request_by_user_id_carries_the_channel() {
        let request = CreateMagicLink::user_id("u1", MagicLinkChannel::Phone)
            .into_request()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({ "user_id": "u1", "channel": "phone" })
        );
    }

    #[test]
    fn zero_ttl_is_rejected() {
        let e = CreateMagicLink::email("ada@example.com")
            .ttl_minutes(0)
            .into_request()
            .unwrap_err();
        assert_eq!(field_of(e), "ttl");
    }

    #[test]
    fn absolute_paths_are_rejected() {
        for bad in [
            "https://evil.example/verify",
            "//evil.example/verify",
            "/\\evil.example/verify",
            "javascript:alert(1)",
            "",
            "/with space",
        ] {
            let e = CreateMagicLink::email("ada@example.com")
                .magic_link_path(bad)
                .into_request()
                .unwrap_err();
            assert_eq!(field_of(e), "magic_link_path", "{bad:?}");
        }
    }

    #[test]
    fn relative_paths_pass() {
        for good in ["/verify", "verify", "/a/b?next=https://x", "/p#frag"] {
            assert!(
                check_relative_path("magic_link_path", good).is_ok(),
                "{good:?} should be accepted"
            );
        }
    }

    #[test]
    fn bad_targets_name_their_field() {
        let phone = CreateMagicLink::phone("5551234")
            .into_request()
            .unwrap_err();
        assert_eq!(field_of(phone), "phone");
        let email = CreateMagicLink::email("nope").into_request().unwrap_err();
        assert_eq!(field_of(email), "email");
        let user = CreateMagicLink::user_id(" ", MagicLinkChannel::Email)
            .into_request()
            .unwrap_err();
        assert_eq!(field_of(user), "user_id");
    }

    #[test]
    fn debug_hides_url_and_secret() {
        let link = MagicLink(types::MagicLink {
            activated: false,
            app_id: "app".into(),
            id: "ml1".into(),
            identifier: "ada@example.com".into(),
            redirect_url: "/".into(),
            secret: "s3cr3t-value".into(),
            ttl: 15,
            type_: MagicLinkType::Login,
            url: "https://app.example/?psg_magic_link=ml.s3cr3t-value".into(),
            user_id: "u1".into(),
        });
        let shown = format!("{link:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("ml1"), "{shown}");
        assert_eq!(link.secret(), "s3cr3t-value");
        // The generated type, its response and its builder hide them as well.
        let raw = link.into_raw();
        let response = types::MagicLinkResponse {
            magic_link: raw.clone(),
        };
        let built = types::builder::MagicLink::from(raw.clone());
        for shown in [
            format!("{raw:?}"),
            format!("{raw:#?}"),
            format!("{response:?}"),
            format!("{built:?}"),
        ] {
            assert!(!shown.contains("s3cr3t"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
    }
}
