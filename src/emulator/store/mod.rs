//! The in-memory store of the emulated app: users, their devices, recent events, social
//! connections and refresh-token revocations, the magic links created, and the listing anchors
//! handed out.
//!
//! The store sits behind one `std::sync::Mutex` that is never held across an `.await`: every
//! operation here is synchronous and quick. The rules it checks input with are in [`input`], the
//! listing's in [`listing`], what events record in [`events`].

pub(crate) mod events;
pub(crate) mod input;
pub(crate) mod listing;
mod seed;
mod sent_link;
pub(crate) mod snapshot;
mod user;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;

use super::rejection::ApiError;
use crate::enums::{SocialConnectionType, UserEventAction, UserStatus, WebAuthnType};
use crate::raw::types;
use events::{Client, EventDetails, Events};
use input::{given, normalize_email, normalize_phone};
pub use seed::UserSeed;
pub use sent_link::SentMagicLink;
pub(crate) use user::{Metadata, NewUser, Revocations, UserChanges, UserRecord};

/// How many listing anchors are remembered (the oldest are forgotten first).
const MAX_ANCHORS: usize = 10_000;

/// Now, to the microsecond (the precision Passage stores).
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// A random alphanumeric id of `len` characters, like Passage's 24-character user ids.
pub(crate) fn random_id(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Everything the emulated app holds.
#[derive(Debug, Default)]
pub(crate) struct Store {
    users: HashMap<String, UserRecord>,
    /// Lower-cased email → user id.
    emails: HashMap<String, String>,
    /// Phone → user id.
    phones: HashMap<String, String>,
    next_seq: u64,
    /// Listing anchor (Unix seconds) → the `seq` below which users existed when it was handed out.
    anchors: BTreeMap<i64, u64>,
    magic_links: Vec<SentMagicLink>,
}

impl Store {
    /// Creates a user on behalf of the emulator itself (see [`Store::create_user_from`]).
    pub(crate) fn create_user(
        &mut self,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<&UserRecord, ApiError> {
        self.create_user_from(new, Client::emulator(), now)
    }

    /// Creates a user: at least one of email and phone, both well-formed and not taken. The
    /// user's first event is a `register` event from `client`, complete unless the user is
    /// pending (signing up by magic link completes when the link is used).
    pub(crate) fn create_user_from(
        &mut self,
        new: NewUser,
        client: Client,
        now: DateTime<Utc>,
    ) -> Result<&UserRecord, ApiError> {
        let email = given(new.email.as_deref())
            .map(normalize_email)
            .transpose()?;
        let phone = given(new.phone.as_deref())
            .map(normalize_phone)
            .transpose()?;
        if email.is_none() && phone.is_none() {
            return Err(ApiError::invalid_request(
                "a user needs an email address or a phone number (or both)",
            ));
        }
        self.check_free(email.as_deref(), phone.as_deref(), None)?;
        let mut id = random_id(24);
        while self.users.contains_key(&id) {
            id = random_id(24);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut events = Events::default();
        events.push(
            EventDetails {
                action: UserEventAction::Register,
                complete: new.status != UserStatus::Pending,
                client,
                social: None,
            },
            now,
        );
        let record = UserRecord {
            id: id.clone(),
            email: email.clone().unwrap_or_default(),
            email_verified: false,
            phone: phone.clone().unwrap_or_default(),
            phone_verified: false,
            status: new.status,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            login_count: 0,
            user_metadata: new.user_metadata.filter(|m| !m.is_empty()),
            devices: Vec::new(),
            external_id: String::new(),
            events,
            social_connections: types::SocialConnections::default(),
            revocations: Revocations::default(),
            seq,
        };
        if let Some(email) = email {
            self.emails.insert(email, id.clone());
        }
        if let Some(phone) = phone {
            self.phones.insert(phone, id.clone());
        }
        Ok(self.users.entry(id).or_insert(record))
    }

    /// Fails when `email` or `phone` belongs to a user other than `except`.
    fn check_free(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
        except: Option<&str>,
    ) -> Result<(), ApiError> {
        let taken = |owner: Option<&String>| owner.is_some_and(|id| Some(id.as_str()) != except);
        if let Some(email) = email
            && taken(self.emails.get(email))
        {
            return Err(ApiError::invalid_request(format!(
                "a user with email {email:?} already exists"
            )));
        }
        if let Some(phone) = phone
            && taken(self.phones.get(phone))
        {
            return Err(ApiError::invalid_request(format!(
                "a user with phone {phone:?} already exists"
            )));
        }
        Ok(())
    }

    /// The user `id`.
    pub(crate) fn user(&self, id: &str) -> Result<&UserRecord, ApiError> {
        self.users
            .get(id)
            .ok_or_else(|| ApiError::user_not_found(id))
    }

    fn user_mut(&mut self, id: &str) -> Result<&mut UserRecord, ApiError> {
        self.users
            .get_mut(id)
            .ok_or_else(|| ApiError::user_not_found(id))
    }

    /// All users, in no particular order.
    pub(crate) fn users(&self) -> impl Iterator<Item = &UserRecord> {
        self.users.values()
    }

    /// The id of the user with this (already normalised) email.
    pub(crate) fn user_id_by_email(&self, email: &str) -> Option<&str> {
        self.emails.get(email).map(String::as_str)
    }

    /// The id of the user with this (already normalised) phone.
    pub(crate) fn user_id_by_phone(&self, phone: &str) -> Option<&str> {
        self.phones.get(phone).map(String::as_str)
    }

    /// Changes a user's email, phone or metadata, with the checks of creation.
    pub(crate) fn update_user(
        &mut self,
        id: &str,
        changes: UserChanges,
        now: DateTime<Utc>,
    ) -> Result<&UserRecord, ApiError> {
        let current = self.user(id)?;
        let email = match changes.email.as_deref() {
            None => None,
            Some(raw) if raw.trim().is_empty() => Some(String::new()),
            Some(raw) => Some(normalize_email(raw)?),
        };
        let phone = match changes.phone.as_deref() {
            None => None,
            Some(raw) if raw.trim().is_empty() => Some(String::new()),
            Some(raw) => Some(normalize_phone(raw)?),
        };
        let final_email = email.clone().unwrap_or_else(|| current.email.clone());
        let final_phone = phone.clone().unwrap_or_else(|| current.phone.clone());
        if final_email.is_empty() && final_phone.is_empty() {
            return Err(ApiError::invalid_request(
                "a user needs an email address or a phone number (or both)",
            ));
        }
        self.check_free(
            email.as_deref().filter(|e| !e.is_empty()),
            phone.as_deref().filter(|p| !p.is_empty()),
            Some(id),
        )?;
        let old_email = current.email.clone();
        let old_phone = current.phone.clone();
        if let Some(email) = &email
            && *email != old_email
        {
            self.emails.remove(&old_email);
            if !email.is_empty() {
                self.emails.insert(email.clone(), id.to_owned());
            }
        }
        if let Some(phone) = &phone
            && *phone != old_phone
        {
            self.phones.remove(&old_phone);
            if !phone.is_empty() {
                self.phones.insert(phone.clone(), id.to_owned());
            }
        }
        let user = self.user_mut(id)?;
        if let Some(email) = email
            && email != user.email
        {
            user.email = email;
            user.email_verified = false;
        }
        if let Some(phone) = phone
            && phone != user.phone
        {
            user.phone = phone;
            user.phone_verified = false;
        }
        if let Some(metadata) = changes.user_metadata {
            user.user_metadata = Some(metadata);
        }
        user.updated_at = now;
        Ok(user)
    }

    /// Activates or deactivates a user.
    pub(crate) fn set_status(
        &mut self,
        id: &str,
        status: UserStatus,
        now: DateTime<Utc>,
    ) -> Result<&UserRecord, ApiError> {
        let user = self.user_mut(id)?;
        if user.status != status {
            user.status = status;
            user.updated_at = now;
        }
        Ok(user)
    }

    /// Deletes a user and frees their email and phone.
    pub(crate) fn delete_user(&mut self, id: &str) -> Result<UserRecord, ApiError> {
        let user = self
            .users
            .remove(id)
            .ok_or_else(|| ApiError::user_not_found(id))?;
        self.emails.remove(&user.email);
        self.phones.remove(&user.phone);
        Ok(user)
    }

    /// Registers a passkey for a user (what signing up with a Passage element would do).
    pub(crate) fn add_device(
        &mut self,
        user_id: &str,
        friendly_name: &str,
        now: DateTime<Utc>,
    ) -> Result<types::WebAuthnDevice, ApiError> {
        let user = self.user_mut(user_id)?;
        let device = types::WebAuthnDevice {
            created_at: now,
            cred_id: random_id(43),
            friendly_name: friendly_name.to_owned(),
            icons: types::WebAuthnIcons {
                dark: None,
                light: None,
            },
            id: random_id(24),
            last_login_at: now,
            type_: WebAuthnType::Passkey,
            updated_at: now,
            usage_count: 1,
        };
        user.devices.push(device.clone());
        user.updated_at = now;
        Ok(device)
    }

    /// Revokes one of a user's devices.
    pub(crate) fn delete_device(
        &mut self,
        user_id: &str,
        device_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let user = self.user_mut(user_id)?;
        let before = user.devices.len();
        user.devices.retain(|d| d.id != device_id);
        if user.devices.len() == before {
            return Err(ApiError::device_not_found(device_id));
        }
        user.updated_at = now;
        Ok(())
    }

    /// Records that all of a user's refresh tokens were revoked.
    pub(crate) fn revoke_refresh_tokens(
        &mut self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Revocations, ApiError> {
        let user = self.user_mut(user_id)?;
        user.revocations.count += 1;
        user.revocations.last_at = Some(now);
        Ok(user.revocations)
    }

    /// Records a sign-in as a `login` event. A complete one also counts: `login_count` goes up,
    /// `last_login_at` becomes `now`, and so does the `last_login_at` of the social connection
    /// it went through, if the user has that connection.
    pub(crate) fn record_login(
        &mut self,
        user_id: &str,
        client: Client,
        social: Option<SocialConnectionType>,
        complete: bool,
        now: DateTime<Utc>,
    ) -> Result<&UserRecord, ApiError> {
        let user = self.user_mut(user_id)?;
        let connection = match &social {
            Some(provider) => social_option(&mut user.social_connections, provider)?.as_mut(),
            None => None,
        };
        if complete {
            if let Some(connection) = connection {
                connection.last_login_at = now;
            }
            user.login_count += 1;
            user.last_login_at = Some(now);
        }
        user.events.push(
            EventDetails {
                action: UserEventAction::Login,
                complete,
                client,
                social,
            },
            now,
        );
        Ok(user)
    }

    /// Connects a user to a social provider (replacing the account they had there, keeping
    /// when the first connection was made if it is the same account).
    pub(crate) fn set_social_connection(
        &mut self,
        user_id: &str,
        provider: &SocialConnectionType,
        provider_id: &str,
        provider_identifier: &str,
        now: DateTime<Utc>,
    ) -> Result<&UserRecord, ApiError> {
        if provider_id.trim().is_empty() {
            return Err(ApiError::invalid_request(
                "provider_id (the account's id at the provider) must not be empty",
            ));
        }
        let user = self.user_mut(user_id)?;
        let slot = social_option(&mut user.social_connections, provider)?;
        let created_at = slot
            .as_ref()
            .filter(|c| c.provider_id == provider_id)
            .map_or(now, |c| c.created_at);
        *slot = Some(types::SocialConnection {
            created_at,
            last_login_at: now,
            provider_id: provider_id.to_owned(),
            provider_identifier: provider_identifier.to_owned(),
        });
        user.updated_at = now;
        Ok(user)
    }

    /// Disconnects a user from a social provider (nothing happens if they were not connected).
    pub(crate) fn remove_social_connection(
        &mut self,
        user_id: &str,
        provider: &SocialConnectionType,
        now: DateTime<Utc>,
    ) -> Result<&UserRecord, ApiError> {
        let user = self.user_mut(user_id)?;
        if social_option(&mut user.social_connections, provider)?
            .take()
            .is_some()
        {
            user.updated_at = now;
        }
        Ok(user)
    }

    /// Keeps a magic link that was created.
    pub(crate) fn push_magic_link(&mut self, link: SentMagicLink) {
        self.magic_links.push(link);
    }

    /// The magic links created so far, oldest first.
    pub(crate) fn magic_links(&self) -> &[SentMagicLink] {
        &self.magic_links
    }

    /// Hands out the `created_before` anchor of a listing that did not bring one.
    ///
    /// Anchors have one-second resolution, users are created many times a second, and a client
    /// pages through a listing by sending the anchor back. So an anchor must keep meaning "the
    /// users that existed when it was handed out", even for users created later within the same
    /// second. The store remembers, per anchor, how far creation had got (`seq`); a listing with
    /// that anchor leaves out every user created after it. Two listings in the same second with
    /// creations in between get different anchors (the second one second later), so each stays
    /// both complete and stable. Timestamps of users are never shifted.
    pub(crate) fn issue_anchor(&mut self, now: DateTime<Utc>) -> i64 {
        let watermark = self.next_seq;
        let candidate = now.timestamp().saturating_add(1);
        let anchor = match self.anchors.last_key_value() {
            Some((&latest, &mark)) if latest >= candidate => {
                if mark == watermark {
                    return latest;
                }
                latest.saturating_add(1)
            }
            _ => candidate,
        };
        self.anchors.insert(anchor, watermark);
        while self.anchors.len() > MAX_ANCHORS {
            self.anchors.pop_first();
        }
        anchor
    }

    /// How far creation had got when `anchor` was handed out, if it was.
    pub(crate) fn anchor_watermark(&self, anchor: i64) -> Option<u64> {
        self.anchors.get(&anchor).copied()
    }
}

/// The place of `provider`'s connection in a user's social connections.
fn social_option<'a>(
    connections: &'a mut types::SocialConnections,
    provider: &SocialConnectionType,
) -> Result<&'a mut Option<types::SocialConnection>, ApiError> {
    match provider {
        SocialConnectionType::Apple => Ok(&mut connections.apple),
        SocialConnectionType::Github => Ok(&mut connections.github),
        SocialConnectionType::Google => Ok(&mut connections.google),
        other => Err(ApiError::invalid_request(format!(
            "social provider {:?} is not one of {}",
            other.as_str(),
            SocialConnectionType::KNOWN.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_user(email: &str) -> NewUser {
        NewUser {
            email: Some(email.into()),
            phone: None,
            user_metadata: None,
            status: UserStatus::Active,
        }
    }

    #[test]
    fn anchor_is_reused_while_nothing_is_created() {
        let mut store = Store::default();
        let t = now();
        let a = store.issue_anchor(t);
        assert_eq!(store.issue_anchor(t), a);
    }

    #[test]
    fn anchor_moves_on_after_a_creation_in_the_same_second() {
        let mut store = Store::default();
        let t = now();
        let a = store.issue_anchor(t);
        store.create_user(new_user("a@example.com"), t).unwrap();
        let b = store.issue_anchor(t);
        assert_eq!(b, a + 1);
        assert_eq!(store.anchor_watermark(a), Some(0));
        assert_eq!(store.anchor_watermark(b), Some(1));
    }

    #[test]
    fn freed_email_can_be_taken_again() {
        let mut store = Store::default();
        let id = store
            .create_user(new_user("a@example.com"), now())
            .unwrap()
            .id
            .clone();
        store.delete_user(&id).unwrap();
        assert!(store.create_user(new_user("a@example.com"), now()).is_ok());
    }
}
