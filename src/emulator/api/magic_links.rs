//! Magic links: for a user found by email, by phone, or by id plus a channel.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::app_info::MAGIC_LINK_TTL_SECONDS;
use crate::emulator::rejection::ApiError;
use crate::emulator::settings::Settings;
use crate::emulator::store::input::{check_relative_path, given, normalize_email, normalize_phone};
use crate::emulator::store::{NewUser, SentMagicLink, Store, random_id};
use crate::enums::{MagicLinkType, UserStatus};
use crate::raw::types;

/// A link's lifetime in minutes when the request does not say: the app's setting (which get-app
/// shows in seconds).
const DEFAULT_TTL_MINUTES: i64 = MAGIC_LINK_TTL_SECONDS / 60;

const LANGUAGES: &[&str] = &["de", "en", "es", "it", "pl", "pt", "zh"];

/// The language of a link that does not ask for one: the app's default (see get-app).
const DEFAULT_LANGUAGE: &str = "en";

/// The body of create-magic-link, read leniently so that each mistake gets its own message.
#[derive(Debug, Deserialize)]
pub(crate) struct MagicLinkRequest {
    email: Option<String>,
    phone: Option<String>,
    user_id: Option<String>,
    channel: Option<String>,
    #[serde(rename = "type")]
    type_: Option<String>,
    #[allow(dead_code)] // Nothing is sent; the request log shows what was asked.
    send: Option<bool>,
    language: Option<String>,
    magic_link_path: Option<String>,
    redirect_url: Option<String>,
    ttl: Option<i64>,
}

/// Creates a magic link. A login link for an email or phone no user has creates that user
/// (status `pending`, as a sign-up that has not finished); a `verify_identifier` link needs an
/// existing user.
pub(crate) fn create(
    store: &mut Store,
    settings: &Settings,
    request: MagicLinkRequest,
    now: DateTime<Utc>,
) -> Result<types::MagicLink, ApiError> {
    let type_ = match request.type_.as_deref().map(str::trim) {
        None | Some("") | Some("login") => MagicLinkType::Login,
        Some("verify_identifier") => MagicLinkType::VerifyIdentifier,
        Some(other) => {
            return Err(ApiError::invalid_request(format!(
                "type {other:?} is not login or verify_identifier"
            )));
        }
    };
    if let Some(language) = request.language.as_deref().filter(|l| !l.is_empty())
        && !LANGUAGES.contains(&language)
    {
        return Err(ApiError::invalid_request(format!(
            "language {language:?} is not one of {}",
            LANGUAGES.join(", ")
        )));
    }
    let ttl = request.ttl.unwrap_or(DEFAULT_TTL_MINUTES);
    if ttl < 1 {
        return Err(ApiError::invalid_request(
            "ttl is in minutes and must be at least 1",
        ));
    }
    let path = request.magic_link_path.as_deref().unwrap_or("/");
    check_relative_path(path)?;
    let channel = request
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if let Some(channel) = channel
        && channel != "email"
        && channel != "phone"
    {
        return Err(ApiError::invalid_request(format!(
            "channel {channel:?} is not email or phone"
        )));
    }

    let email = given(request.email.as_deref());
    let phone = given(request.phone.as_deref());
    let user_id = given(request.user_id.as_deref());
    let (user_id, identifier, channel) = match (email, phone, user_id) {
        (Some(email), None, None) => {
            if channel.is_some_and(|c| c != "email") {
                return Err(ApiError::invalid_request(
                    "an email link goes by the email channel",
                ));
            }
            let email = normalize_email(email)?;
            let id = find_or_create(store, type_.clone(), Some(&email), None, now)?;
            (id, email, types::MagicLinkChannel::Email)
        }
        (None, Some(phone), None) => {
            if channel.is_some_and(|c| c != "phone") {
                return Err(ApiError::invalid_request(
                    "a phone link goes by the phone channel",
                ));
            }
            let phone = normalize_phone(phone)?;
            let id = find_or_create(store, type_.clone(), None, Some(&phone), now)?;
            (id, phone, types::MagicLinkChannel::Phone)
        }
        (None, None, Some(user_id)) => {
            let channel = channel.ok_or_else(|| {
                ApiError::invalid_request("a magic link by user_id needs a channel: email or phone")
            })?;
            let user = store.user(user_id)?;
            let (identifier, channel) = if channel == "email" {
                (&user.email, types::MagicLinkChannel::Email)
            } else {
                (&user.phone, types::MagicLinkChannel::Phone)
            };
            if identifier.is_empty() {
                return Err(ApiError::invalid_request(format!(
                    "user {user_id:?} has no {channel} to send a magic link to"
                )));
            }
            (user.id.clone(), identifier.clone(), channel)
        }
        _ => {
            return Err(ApiError::invalid_request(
                "identify the user by exactly one of email, phone, or user_id (with channel)",
            ));
        }
    };

    let secret = random_id(24);
    let link = types::MagicLink {
        activated: false,
        app_id: settings.app_id().to_owned(),
        id: random_id(24),
        identifier,
        redirect_url: request.redirect_url.unwrap_or_else(|| "/".to_owned()),
        url: link_url(settings.auth_origin(), path, &secret),
        secret,
        ttl,
        type_,
        user_id,
    };
    let language = request
        .language
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned());
    store.push_magic_link(SentMagicLink {
        link: link.clone(),
        language,
        channel,
    });
    Ok(link)
}

/// The link: `path` on the auth origin, with the secret added to its query (before any fragment,
/// which the browser keeps to itself).
fn link_url(origin: &str, path: &str, secret: &str) -> String {
    let (path, fragment) = path.split_once('#').map_or((path, ""), |(p, f)| (p, f));
    let slash = if path.starts_with('/') { "" } else { "/" };
    let separator = if path.contains('?') { '&' } else { '?' };
    let hash = if fragment.is_empty() { "" } else { "#" };
    format!("{origin}{slash}{path}{separator}psg_magic_link={secret}{hash}{fragment}")
}

fn find_or_create(
    store: &mut Store,
    type_: MagicLinkType,
    email: Option<&str>,
    phone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let existing = match (email, phone) {
        (Some(email), _) => store.user_id_by_email(email),
        (_, Some(phone)) => store.user_id_by_phone(phone),
        _ => None,
    };
    if let Some(id) = existing {
        return Ok(id.to_owned());
    }
    let identifier = email.or(phone).unwrap_or_default();
    if type_ != MagicLinkType::Login {
        return Err(ApiError::user_not_found(identifier));
    }
    let new = NewUser {
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
        user_metadata: None,
        status: UserStatus::Pending,
    };
    Ok(store.create_user(new, now)?.id.clone())
}
