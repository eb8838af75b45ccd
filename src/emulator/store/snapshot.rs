//! The store as saved state: its users (in creation order) and magic links, and the checks a
//! saved store must pass before it replaces the one in use.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::Events;
use super::input::{normalize_email, normalize_phone};
use super::{Metadata, Revocations, SentMagicLink, Store, UserRecord};
use crate::enums::UserStatus;
use crate::raw::types;

/// What the store saves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreState {
    /// Oldest first.
    pub(crate) users: Vec<UserState>,
    /// Oldest first.
    pub(crate) magic_links: Vec<SentMagicLink>,
}

/// One user as saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserState {
    id: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    phone_verified: bool,
    status: UserStatus,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    #[serde(default)]
    last_login_at: Option<DateTime<Utc>>,
    #[serde(default)]
    login_count: i64,
    #[serde(default)]
    user_metadata: Option<Metadata>,
    #[serde(default)]
    devices: Vec<types::WebAuthnDevice>,
    #[serde(default)]
    external_id: String,
    #[serde(default)]
    refresh_token_revocations: u64,
    #[serde(default)]
    last_refresh_token_revocation_at: Option<DateTime<Utc>>,
    /// Newest first, as the user record shows them.
    #[serde(default)]
    recent_events: Vec<types::UserEvent>,
    #[serde(default)]
    social_connections: types::SocialConnections,
}

impl Store {
    /// The store as saved state.
    pub(crate) fn to_state(&self) -> StoreState {
        let mut users: Vec<&UserRecord> = self.users.values().collect();
        users.sort_by_key(|u| u.seq);
        StoreState {
            users: users
                .into_iter()
                .map(|u| UserState {
                    id: u.id.clone(),
                    email: u.email.clone(),
                    email_verified: u.email_verified,
                    phone: u.phone.clone(),
                    phone_verified: u.phone_verified,
                    status: u.status.clone(),
                    created_at: u.created_at,
                    updated_at: u.updated_at,
                    last_login_at: u.last_login_at,
                    login_count: u.login_count,
                    user_metadata: u.user_metadata.clone(),
                    devices: u.devices.clone(),
                    external_id: u.external_id.clone(),
                    refresh_token_revocations: u.revocations.count,
                    last_refresh_token_revocation_at: u.revocations.last_at,
                    recent_events: u.events.to_vec(),
                    social_connections: u.social_connections.clone(),
                })
                .collect(),
            magic_links: self.magic_links.clone(),
        }
    }

    /// A store holding `state`, checked as create-user would check its users: every user has
    /// an id of their own, an email or a phone (well-formed, as stored, not another's) and a
    /// known status. The error says which user is wrong and why.
    pub(crate) fn from_state(state: StoreState) -> Result<Store, String> {
        let mut store = Store::default();
        let mut device_ids = HashSet::new();
        for (seq, user) in (0u64..).zip(state.users) {
            let which = format!("user {:?}", user.id);
            if user.id.is_empty() || store.users.contains_key(&user.id) {
                return Err(format!("{which}: the id is empty or not unique"));
            }
            if user.email.is_empty() && user.phone.is_empty() {
                return Err(format!("{which} has neither an email nor a phone"));
            }
            if let UserStatus::Unknown(status) = &user.status {
                return Err(format!("{which} has an unknown status {status:?}"));
            }
            if !user.email.is_empty() {
                let stored = normalize_email(&user.email)
                    .map_err(|e| format!("{which}: {}", e.message()))?;
                if stored != user.email {
                    return Err(format!(
                        "{which}: email {:?} is not as stored (trimmed, lower case)",
                        user.email
                    ));
                }
                if store.emails.insert(stored, user.id.clone()).is_some() {
                    return Err(format!(
                        "{which}: email {:?} belongs to another user too",
                        user.email
                    ));
                }
            }
            if !user.phone.is_empty() {
                let stored = normalize_phone(&user.phone)
                    .map_err(|e| format!("{which}: {}", e.message()))?;
                if stored != user.phone {
                    return Err(format!("{which}: phone {:?} is not as stored", user.phone));
                }
                if store.phones.insert(stored, user.id.clone()).is_some() {
                    return Err(format!(
                        "{which}: phone {:?} belongs to another user too",
                        user.phone
                    ));
                }
            }
            if let Some(device) = user
                .devices
                .iter()
                .find(|d| !device_ids.insert(d.id.clone()))
            {
                return Err(format!("{which}: device id {:?} is not unique", device.id));
            }
            let record = UserRecord {
                id: user.id.clone(),
                email: user.email,
                email_verified: user.email_verified,
                phone: user.phone,
                phone_verified: user.phone_verified,
                status: user.status,
                created_at: user.created_at,
                updated_at: user.updated_at,
                last_login_at: user.last_login_at,
                login_count: user.login_count,
                user_metadata: user.user_metadata,
                devices: user.devices,
                external_id: user.external_id,
                revocations: Revocations {
                    count: user.refresh_token_revocations,
                    last_at: user.last_refresh_token_revocation_at,
                },
                events: Events::from_newest_first(user.recent_events),
                social_connections: user.social_connections,
                seq,
            };
            store.users.insert(user.id, record);
            store.next_seq = seq + 1;
        }
        store.magic_links = state.magic_links;
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::{NewUser, now};

    #[test]
    fn a_store_survives_its_state() {
        let mut store = Store::default();
        let t = now();
        for email in ["a@example.com", "b@example.com"] {
            let new = NewUser {
                email: Some(email.into()),
                phone: None,
                user_metadata: None,
                status: UserStatus::Active,
            };
            let id = store.create_user(new, t).unwrap().id.clone();
            store.add_device(&id, "laptop", t).unwrap();
        }
        let state = store.to_state();
        let again = Store::from_state(state.clone()).unwrap();
        assert_eq!(again.to_state(), state);
        assert_eq!(again.next_seq, 2);
        assert!(again.user_id_by_email("b@example.com").is_some());
    }

    #[test]
    fn a_taken_email_is_refused() {
        let mut store = Store::default();
        let new = NewUser {
            email: Some("a@example.com".into()),
            phone: None,
            user_metadata: None,
            status: UserStatus::Active,
        };
        store.create_user(new, now()).unwrap();
        let mut state = store.to_state();
        let mut twin = state.users[0].clone();
        twin.id = "other".into();
        state.users.push(twin);
        let error = Store::from_state(state).unwrap_err();
        assert!(error.contains("belongs to another user"), "{error}");
    }
}
