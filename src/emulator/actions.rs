//! What the test controls do, once: the [`Emulator`](super::Emulator) handle's methods and the
//! control API's handlers (`api::control`) both call these.

use std::path::Path;
use std::sync::PoisonError;

use super::context::Context;
use super::error::EmulatorError;
use super::keys::SigningKey;
use super::rejection::ApiError;
use super::state::{EmulatorState, file};
use super::store::{self, Store, UserSeed};
use crate::raw::types;

impl Context {
    /// Creates a user as `seed` says.
    pub(crate) fn seed_user(&self, seed: UserSeed) -> Result<types::PassageUser, ApiError> {
        Ok(self
            .store()
            .seed_user(seed, store::now())?
            .to_passage_user())
    }

    /// A new signing key signs from now on; the older ones stay published if `keep_old`.
    pub(crate) fn rotate_keys(&self, keep_old: bool) -> Result<(), EmulatorError> {
        self.keys.rotate(SigningKey::generate()?, keep_old);
        Ok(())
    }

    /// Empties the app: no users, devices or magic links, no pending fault, an empty request
    /// log. The app id, API key and signing keys stay.
    pub(crate) fn reset(&self) {
        *self.store() = Store::default();
        self.faults.clear();
        self.log.clear();
    }

    /// The app as saved state.
    pub(crate) fn export_state(&self) -> EmulatorState {
        let store = self.store();
        EmulatorState::capture(
            self.settings.app_id(),
            self.settings.api_key(),
            self.settings.created_at(),
            self.settings.auth_origin(),
            &self.keys.all(),
            &store,
        )
    }

    /// Replaces the users, devices, magic links and signing keys with those of `state`, which
    /// must be of this app (same app id and API key). Nothing changes when it is refused.
    pub(crate) fn import_state(&self, state: &EmulatorState) -> Result<(), ApiError> {
        let checked = state
            .check()
            .map_err(|reason| ApiError::invalid_request(format!("the state: {reason}")))?;
        if checked.app_id != self.settings.app_id() {
            return Err(ApiError::invalid_request(format!(
                "the state is of app {:?}, not of this app {:?}: start an emulator from it \
                 (--state FILE) to serve that app",
                checked.app_id,
                self.settings.app_id()
            )));
        }
        if !self.settings.is_api_key(checked.api_key.expose()) {
            return Err(ApiError::invalid_request(
                "the state holds another API key than this app's",
            ));
        }
        let mut store = self.store();
        *store = checked.store;
        self.keys.replace(checked.keys);
        Ok(())
    }

    /// Writes the state to the state file, and says where.
    pub(crate) fn save_state(&self) -> Result<&Path, EmulatorError> {
        let path = self
            .state_file
            .as_deref()
            .ok_or(EmulatorError::NoStateFile)?;
        let _one_at_a_time = self.saving.lock().unwrap_or_else(PoisonError::into_inner);
        file::write(path, &self.export_state())?;
        Ok(path)
    }
}
