//! Tokens as Passage issues them: RS256 JWTs with Passage's claims (`sub`, `iss`, `aud`, `exp`,
//! `nbf`, `iat`), shaped by [`TokenOptions`] and signed by the app's current key.
//!
//! The handle issues them directly; the token endpoint (`api::tokens`) over HTTP. A token issued
//! on sign-in is recorded for its user, as a login.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::context::Context;
use super::error::EmulatorError;
use super::keys::{KeyRing, SigningKey};
use super::settings::Settings;
use super::store::{self, events::Client};

/// The lifetime of a token when nothing else is said.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// How [`Emulator::issue_token_with`](super::Emulator::issue_token_with) shapes a token: its
/// times, audience, issuer, extra or missing claims, and header `kid`.
///
/// By default a token is issued now, valid from now, for one hour, with the `iss` and `aud`
/// Passage uses, signed by the current key.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
/// use std::time::{Duration, SystemTime};
/// use passage_identity::emulator::{Emulator, TokenOptions};
///
/// let emulator = Emulator::start().await?;
/// // Expired a minute ago:
/// let expired = emulator.issue_token_with(
///     "user_1",
///     TokenOptions::default().expires_at(SystemTime::now() - Duration::from_secs(60)),
/// )?;
/// // Signed by the current key but naming a key the JWKS does not have:
/// let unknown_kid = emulator.issue_token_with("user_1", TokenOptions::default().kid("nope"))?;
/// // With an extra claim, and without `nbf`:
/// let custom = emulator.issue_token_with(
///     "user_1",
///     TokenOptions::default()
///         .claim("role", serde_json::json!("admin"))
///         .without_claim("nbf"),
/// )?;
/// # let _ = (expired, unknown_kid, custom);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct TokenOptions {
    ttl: Option<Duration>,
    not_before: Option<SystemTime>,
    issued_at: Option<SystemTime>,
    expires_at: Option<SystemTime>,
    audience: Option<Value>,
    issuer: Option<String>,
    claims: Map<String, Value>,
    removed: Vec<String>,
    kid: Option<String>,
    foreign_key: bool,
}

impl TokenOptions {
    /// The lifetime: `exp` is `iat` plus this. Default: one hour.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let token = emulator.issue_token_with("u", TokenOptions::default().ttl(Duration::from_secs(60)))?;
    /// let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&token).unwrap();
    /// assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 60);
    /// # Ok(()) }
    /// ```
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The `nbf` claim. Default: the issue time.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let later = UNIX_EPOCH + Duration::from_secs(4_000_000_000);
    /// let token = emulator.issue_token_with("u", TokenOptions::default().not_before(later))?;
    /// let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&token).unwrap();
    /// assert_eq!(claims["nbf"], 4_000_000_000u64);
    /// # Ok(()) }
    /// ```
    pub fn not_before(mut self, at: SystemTime) -> Self {
        self.not_before = Some(at);
        self
    }

    /// The `iat` claim. Default: now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let token = emulator.issue_token_with("u", TokenOptions::default().issued_at(at))?;
    /// let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&token).unwrap();
    /// assert_eq!(claims["iat"], 1_700_000_000);
    /// assert_eq!(claims["exp"], 1_700_003_600);
    /// # Ok(()) }
    /// ```
    pub fn issued_at(mut self, at: SystemTime) -> Self {
        self.issued_at = Some(at);
        self
    }

    /// The `exp` claim, overriding [`TokenOptions::ttl`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let expired = SystemTime::now() - Duration::from_secs(1);
    /// let token = emulator.issue_token_with("u", TokenOptions::default().expires_at(expired))?;
    /// let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&token).unwrap();
    /// assert!(claims["exp"].as_i64().unwrap() < claims["iat"].as_i64().unwrap());
    /// # Ok(()) }
    /// ```
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The `aud` claim, any JSON (a string, a list...). Default: `[auth origin, app id]`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let token = emulator.issue_token_with("u", TokenOptions::default().audience("other".into()))?;
    /// let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&token).unwrap();
    /// assert_eq!(claims["aud"], "other");
    /// # Ok(()) }
    /// ```
    pub fn audience(mut self, audience: Value) -> Self {
        self.audience = Some(audience);
        self
    }

    /// The `iss` claim. Default: `{auth_base}/v1/apps/{app_id}`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let token = emulator.issue_token_with("u", TokenOptions::default().issuer("https://evil.example"))?;
    /// let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&token).unwrap();
    /// assert_eq!(claims["iss"], "https://evil.example");
    /// # Ok(()) }
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets a claim, replacing a standard one of the same name.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let options = TokenOptions::default().claim("sub", 7.into()).claim("role", "admin".into());
    /// let token = emulator.issue_token_with("u", options)?;
    /// let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&token).unwrap();
    /// assert_eq!((claims["sub"].as_i64(), claims["role"].as_str()), (Some(7), Some("admin")));
    /// # Ok(()) }
    /// ```
    pub fn claim(mut self, name: impl Into<String>, value: Value) -> Self {
        let name = name.into();
        self.removed.retain(|n| *n != name);
        self.claims.insert(name, value);
        self
    }

    /// Leaves a claim out (e.g. `exp` or `sub`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let token = emulator.issue_token_with("u", TokenOptions::default().without_claim("exp"))?;
    /// let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&token).unwrap();
    /// assert!(claims.get("exp").is_none());
    /// # Ok(()) }
    /// ```
    pub fn without_claim(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.claims.remove(&name);
        self.removed.push(name);
        self
    }

    /// The header `kid`, whichever key signs (e.g. a kid the JWKS does not have).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let token = emulator.issue_token_with("u", TokenOptions::default().kid("gone"))?;
    /// assert_eq!(jsonwebtoken::decode_header(&token).unwrap().kid.as_deref(), Some("gone"));
    /// # Ok(()) }
    /// ```
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Signs with a fresh key the JWKS does not publish, under the current key's `kid` (unless
    /// [`TokenOptions::kid`] says otherwise): a token whose signature does not verify.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), passage_identity::emulator::EmulatorError> {
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use passage_identity::emulator::{Emulator, TokenOptions};
    ///
    /// let emulator = Emulator::start().await?;
    /// let token = emulator.issue_token_with("u", TokenOptions::default().signed_by_unknown_key())?;
    /// let kid = jsonwebtoken::decode_header(&token).unwrap().kid;
    /// assert_eq!(kid, Some(emulator.signing_kids()[0].clone()));
    /// # Ok(()) }
    /// ```
    pub fn signed_by_unknown_key(mut self) -> Self {
        self.foreign_key = true;
        self
    }

    /// Whether these options give a token as Passage issues on sign-in: valid now, with its
    /// issuer, audience and current key. A lifetime and custom claims change nothing; every
    /// other option shapes a token to be rejected.
    pub(crate) fn is_sign_in_shaped(&self) -> bool {
        self.not_before.is_none()
            && self.issued_at.is_none()
            && self.expires_at.is_none()
            && self.audience.is_none()
            && self.issuer.is_none()
            && self.removed.is_empty()
            && self.kid.is_none()
            && !self.foreign_key
    }
}

fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Issues a token for `user_id` as Passage would, shaped by `options`.
pub(crate) fn issue(
    settings: &Settings,
    keys: &KeyRing,
    user_id: &str,
    options: &TokenOptions,
) -> Result<String, EmulatorError> {
    let iat = unix_seconds(options.issued_at.unwrap_or_else(SystemTime::now));
    let ttl = i64::try_from(options.ttl.unwrap_or(DEFAULT_TTL).as_secs()).unwrap_or(i64::MAX);
    let exp = options
        .expires_at
        .map_or_else(|| iat.saturating_add(ttl), unix_seconds);
    let nbf = options.not_before.map_or(iat, unix_seconds);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user_id));
    claims.insert(
        "iss".into(),
        json!(options.issuer.clone().unwrap_or_else(|| settings.issuer())),
    );
    claims.insert(
        "aud".into(),
        options
            .audience
            .clone()
            .unwrap_or_else(|| json!([settings.auth_origin(), settings.app_id()])),
    );
    claims.insert("exp".into(), json!(exp));
    claims.insert("nbf".into(), json!(nbf));
    claims.insert("iat".into(), json!(iat));
    claims.extend(options.claims.clone());
    for name in &options.removed {
        claims.remove(name);
    }
    let current = keys.current();
    let kid = options.kid.as_deref().unwrap_or(current.kid());
    if options.foreign_key {
        SigningKey::generate()?.sign_with_kid(&claims, kid)
    } else {
        current.sign_with_kid(&claims, kid)
    }
}

/// Issues a token on sign-in: when `user_id` is a user of the app, the sign-in is recorded (a
/// `login` event from `client`, or from the emulator itself; `login_count`, `last_login_at`).
/// Any other subject still gets its token: tests of verification use made-up ones.
pub(crate) fn issue_on_sign_in(
    ctx: &Context,
    user_id: &str,
    options: &TokenOptions,
    client: Option<Client>,
) -> Result<String, EmulatorError> {
    let token = issue(&ctx.settings, &ctx.keys, user_id, options)?;
    let mut store = ctx.store();
    if store.user(user_id).is_ok() {
        let client = client.unwrap_or_else(Client::emulator);
        store.record_login(user_id, client, None, true, store::now())?;
    }
    Ok(token)
}
