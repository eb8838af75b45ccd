//! RSA signing keys of the emulated app, their rotation, its JWKS, and RS256 token signing.

use std::sync::{PoisonError, RwLock};

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::crypto::aws_lc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::error::EmulatorError;
use crate::secret::Secret;

/// An RSA 2048 signing key with its key id, as Passage publishes in an app's JWKS.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: serde_json::Value,
    public_pem: String,
    /// PKCS#8 PEM, kept for the saved state.
    private_pem: Secret,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh RSA 2048 key with a random key id.
    ///
    /// ```
    /// let key = passage_identity::emulator::SigningKey::generate()?;
    /// assert_eq!(key.jwk()["kty"], "RSA");
    /// # Ok::<(), passage_identity::emulator::EmulatorError>(())
    /// ```
    pub fn generate() -> Result<Self, EmulatorError> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| EmulatorError::Crypto("RSA key generation failed"))?;
        Self::from_pair(uuid::Uuid::new_v4().simple().to_string(), &pair)
    }

    /// A key read back from a saved state: its `kid` and its PKCS#8 PEM (`PRIVATE KEY`). The
    /// error says what is wrong without showing any of the key.
    pub(crate) fn from_private_pem(kid: &str, private_pem: &str) -> Result<Self, String> {
        if kid.is_empty() {
            return Err("a signing key has an empty kid".to_owned());
        }
        let unreadable = || format!("signing key {kid:?} is not a PKCS#8 PEM RSA private key");
        let parsed = pem::parse(private_pem).map_err(|_| unreadable())?;
        if parsed.tag() != "PRIVATE KEY" {
            return Err(unreadable());
        }
        let pair = KeyPair::from_pkcs8(parsed.contents()).map_err(|_| unreadable())?;
        Self::from_pair(kid.to_owned(), &pair).map_err(|e| format!("signing key {kid:?}: {e}"))
    }

    fn from_pair(kid: String, pair: &KeyPair) -> Result<Self, EmulatorError> {
        let pkcs8 = pair
            .as_der()
            .map_err(|_| EmulatorError::Crypto("RSA key encoding failed"))?;
        let pem = to_pem("PRIVATE KEY", pkcs8.as_ref());
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|_| EmulatorError::Crypto("RSA key import failed"))?;
        let spki = AsDer::<PublicKeyX509Der<'static>>::as_der(pair.public_key())
            .map_err(|_| EmulatorError::Crypto("RSA public key encoding failed"))?;
        let public_pem = to_pem("PUBLIC KEY", spki.as_ref());
        let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        let jwk = serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&components.n),
            "e": URL_SAFE_NO_PAD.encode(&components.e),
        });
        Ok(Self {
            kid,
            encoding,
            jwk,
            public_pem,
            private_pem: Secret::new(pem),
        })
    }

    /// The private key as PKCS#8 PEM, for the saved state.
    pub(crate) fn private_key_pem(&self) -> &str {
        self.private_pem.expose()
    }

    /// The key id (`kid`) tokens signed with this key carry.
    ///
    /// ```
    /// let key = passage_identity::emulator::SigningKey::generate()?;
    /// let token = key.sign(&serde_json::json!({"sub": "u"}))?;
    /// assert_eq!(jsonwebtoken::decode_header(&token)?.kid.as_deref(), Some(key.kid()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (`kty`, `use`, `alg`, `kid`, `n`, `e`).
    ///
    /// ```
    /// let key = passage_identity::emulator::SigningKey::generate()?;
    /// let jwk = key.jwk();
    /// assert_eq!((jwk["kty"].as_str(), jwk["alg"].as_str()), (Some("RSA"), Some("RS256")));
    /// assert_eq!(jwk["kid"], key.kid());
    /// # Ok::<(), passage_identity::emulator::EmulatorError>(())
    /// ```
    pub fn jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo).
    ///
    /// ```
    /// let key = passage_identity::emulator::SigningKey::generate()?;
    /// assert!(key.public_key_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
    /// # Ok::<(), passage_identity::emulator::EmulatorError>(())
    /// ```
    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// Signs `claims` as an RS256 JWT with header `{"alg":"RS256","kid":…,"typ":"JWT"}`.
    ///
    /// ```
    /// use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    ///
    /// let key = passage_identity::emulator::SigningKey::generate()?;
    /// let token = key.sign(&serde_json::json!({"sub": "user_1", "exp": 4_000_000_000u64}))?;
    /// let public = DecodingKey::from_rsa_pem(key.public_key_pem().as_bytes())?;
    /// let mut validation = Validation::new(Algorithm::RS256);
    /// validation.validate_aud = false;
    /// let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &public, &validation)?.claims;
    /// assert_eq!(claims["sub"], "user_1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, EmulatorError> {
        self.sign_with_kid(claims, &self.kid)
    }

    /// Signs `claims` with this key but puts `kid` in the header: a token whose key id does not
    /// match the key that signed it (an unknown `kid`, or a known one with a bad signature).
    ///
    /// ```
    /// let key = passage_identity::emulator::SigningKey::generate()?;
    /// let token = key.sign_with_kid(&serde_json::json!({"sub": "u"}), "no-such-kid")?;
    /// let header = jsonwebtoken::decode_header(&token)?;
    /// assert_eq!(header.kid.as_deref(), Some("no-such-kid"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_with_kid(
        &self,
        claims: &impl Serialize,
        kid: &str,
    ) -> Result<String, EmulatorError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        let signing_input = format!("{}.{}", json_part(&header)?, json_part(claims)?);
        // jsonwebtoken's aws-lc-rs provider by name, not `jsonwebtoken::encode`'s process-wide
        // default, which does not exist (every use panics) when another crate in the build also
        // turns on `jsonwebtoken/rust_crypto`.
        let signature =
            (aws_lc::DEFAULT_PROVIDER.signer_factory)(&Algorithm::RS256, &self.encoding)
                .and_then(|signer| {
                    signer
                        .try_sign(signing_input.as_bytes())
                        .map_err(|_| jsonwebtoken::errors::ErrorKind::RsaFailedSigning.into())
                })
                .map_err(|_| EmulatorError::Crypto("token signing failed"))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// One base64url-encoded JSON part of a JWT.
fn json_part(value: &impl Serialize) -> Result<String, EmulatorError> {
    serde_json::to_vec(value)
        .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
        .map_err(|_| EmulatorError::Crypto("token encoding failed"))
}

/// A JWKS document (`{"keys": [...]}`) of `keys`, as Passage serves an app's, e.g. for a mock
/// server of your own.
///
/// ```
/// use passage_identity::emulator::{jwks_document, SigningKey};
///
/// let (old, new) = (SigningKey::generate()?, SigningKey::generate()?);
/// let jwks = jwks_document([&new, &old]);
/// assert_eq!(jwks["keys"][0]["kid"], new.kid());
/// assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(2));
/// # Ok::<(), passage_identity::emulator::EmulatorError>(())
/// ```
pub fn jwks_document<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> serde_json::Value {
    serde_json::json!({ "keys": keys.into_iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
}

/// The app's published keys: the one that signs, and older ones kept for the tokens they signed.
#[derive(Debug)]
pub(crate) struct KeyRing {
    keys: RwLock<Published>,
}

#[derive(Debug)]
struct Published {
    signing: SigningKey,
    /// Newest first.
    older: Vec<SigningKey>,
}

impl Published {
    /// Every key, newest (the signing key) first.
    fn all(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.signing).chain(&self.older)
    }
}

impl KeyRing {
    pub(crate) fn new(signing: SigningKey) -> Self {
        Self {
            keys: RwLock::new(Published {
                signing,
                older: Vec::new(),
            }),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Published> {
        // Nothing panics while the lock is held; a poisoned lock still holds valid keys.
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key that signs new tokens.
    pub(crate) fn current(&self) -> SigningKey {
        self.read().signing.clone()
    }

    /// Makes `new` the signing key; the others stay published only if `keep_old`.
    pub(crate) fn rotate(&self, new: SigningKey, keep_old: bool) {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        let previous = std::mem::replace(&mut keys.signing, new);
        if keep_old {
            keys.older.insert(0, previous);
        } else {
            keys.older.clear();
        }
    }

    /// Every published key, newest (the signing key) first.
    pub(crate) fn all(&self) -> Vec<SigningKey> {
        self.read().all().cloned().collect()
    }

    /// Publishes `keys` instead of the current ones: the first signs, the others stay published
    /// (newest first). Nothing changes when `keys` is empty.
    pub(crate) fn replace(&self, keys: Vec<SigningKey>) {
        let mut keys = keys.into_iter();
        if let Some(signing) = keys.next() {
            let mut published = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            *published = Published {
                signing,
                older: keys.collect(),
            };
        }
    }

    /// The key ids in the JWKS, newest first.
    pub(crate) fn kids(&self) -> Vec<String> {
        self.read().all().map(|k| k.kid().to_owned()).collect()
    }

    /// The JWKS document.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        jwks_document(self.read().all())
    }
}

fn to_pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}
