//! One user as the store keeps them, what creating and updating one takes, and the forms the
//! API shows them in.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::events::Events;
use crate::enums::{UserStatus, WebAuthnType};
use crate::raw::types;

/// Free-form user metadata.
pub(crate) type Metadata = Map<String, Value>;

/// The time Passage (written in Go) sends for "never": Go's zero time, `0001-01-01T00:00:00Z`.
pub(crate) fn zero_time() -> DateTime<Utc> {
    // In range for chrono, so the fallback is never taken.
    DateTime::from_timestamp(-62_135_596_800, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// How often, and when last, a user's refresh tokens were revoked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Revocations {
    pub(crate) count: u64,
    pub(crate) last_at: Option<DateTime<Utc>>,
}

/// One user as stored.
#[derive(Clone, Debug)]
pub(crate) struct UserRecord {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) email_verified: bool,
    pub(crate) phone: String,
    pub(crate) phone_verified: bool,
    pub(crate) status: UserStatus,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) last_login_at: Option<DateTime<Utc>>,
    pub(crate) login_count: i64,
    pub(crate) user_metadata: Option<Metadata>,
    pub(crate) devices: Vec<types::WebAuthnDevice>,
    pub(crate) external_id: String,
    /// Register and login events, newest first.
    pub(crate) events: Events,
    /// The social providers the user is connected to.
    pub(crate) social_connections: types::SocialConnections,
    pub(crate) revocations: Revocations,
    /// Creation order; listing anchors remember how far it had got.
    pub(crate) seq: u64,
}

impl UserRecord {
    /// `last_login_at` as sent: Go's zero time when the user never signed in.
    pub(crate) fn last_login_or_zero(&self) -> DateTime<Utc> {
        self.last_login_at.unwrap_or_else(zero_time)
    }

    /// The full user, as get, create and update return it.
    pub(crate) fn to_passage_user(&self) -> types::PassageUser {
        let mut webauthn_types: Vec<WebAuthnType> = Vec::new();
        for device in &self.devices {
            if !webauthn_types.contains(&device.type_) {
                webauthn_types.push(device.type_.clone());
            }
        }
        types::PassageUser {
            created_at: self.created_at,
            email: self.email.clone(),
            email_verified: self.email_verified,
            external_id: self.external_id.clone(),
            id: self.id.clone(),
            last_login_at: self.last_login_or_zero(),
            login_count: self.login_count,
            phone: self.phone.clone(),
            phone_verified: self.phone_verified,
            recent_events: self.events.to_vec(),
            social_connections: self.social_connections.clone(),
            status: self.status.clone(),
            updated_at: self.updated_at,
            user_metadata: self.user_metadata.clone(),
            webauthn: !self.devices.is_empty(),
            webauthn_devices: self.devices.clone(),
            webauthn_types,
        }
    }

    /// The short form the list endpoint returns.
    pub(crate) fn to_summary(&self) -> types::UserSummary {
        types::UserSummary {
            created_at: self.created_at,
            email: self.email.clone(),
            email_verified: self.email_verified,
            external_id: self.external_id.clone(),
            id: self.id.clone(),
            last_login_at: self.last_login_or_zero(),
            login_count: self.login_count,
            phone: self.phone.clone(),
            phone_verified: self.phone_verified,
            status: self.status.clone(),
            updated_at: self.updated_at,
            user_metadata: self.user_metadata.clone(),
        }
    }
}

/// What a new user is created with. Email and phone are checked and normalised by the store.
#[derive(Clone, Debug)]
pub(crate) struct NewUser {
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) user_metadata: Option<Metadata>,
    pub(crate) status: UserStatus,
}

/// The changes of an update. `Some("")` clears an email or phone (the other must remain).
#[derive(Clone, Debug, Default)]
pub(crate) struct UserChanges {
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) user_metadata: Option<Metadata>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_time_is_gos_zero_time() {
        assert_eq!(zero_time().to_rfc3339(), "0001-01-01T00:00:00+00:00");
    }
}
