//! What creating and updating a user takes: [`CreateUser`] and [`UpdateUser`].

use serde_json::{Map, Value};

use crate::management::ManagementError;
use crate::management::input;
use crate::management::raw::types::{CreateUserRequest, UpdateUserRequest};

/// A user to create, with an email address, a phone number, or both, and optional metadata.
///
/// Start from [`CreateUser::email`] or [`CreateUser::phone`]: a user needs at least one.
/// Everything is checked by [`Users::create`](crate::users::Users::create) before anything is sent.
///
/// ```
/// use passage_identity::CreateUser;
///
/// let by_email = CreateUser::email("ada@example.com");
/// let by_both = CreateUser::phone("+15551234567")
///     .with_email("grace@example.com")
///     .metadata(serde_json::json!({ "plan": "pro" }));
/// # let _ = (by_email, by_both);
/// ```
#[derive(Clone, Debug)]
#[must_use = "a CreateUser does nothing until passed to Users::create"]
pub struct CreateUser {
    email: Option<String>,
    phone: Option<String>,
    metadata: Result<Map<String, Value>, MetadataError>,
}

/// A metadata value that did not serialize to an object, reported when the call is made.
#[derive(Clone, Debug)]
struct MetadataError(String);

impl CreateUser {
    fn empty() -> Self {
        Self {
            email: None,
            phone: None,
            metadata: Ok(Map::new()),
        }
    }

    /// A user identified by an email address.
    ///
    /// ```
    /// let new_user = passage_identity::CreateUser::email("ada@example.com");
    /// # let _ = new_user;
    /// ```
    pub fn email(email: impl Into<String>) -> Self {
        Self::empty().with_email(email)
    }

    /// A user identified by an E.164 phone number, such as `+15551234567`. A
    /// [`PhoneNumber`](crate::PhoneNumber) works too.
    ///
    /// ```
    /// let new_user = passage_identity::CreateUser::phone("+15551234567");
    /// # let _ = new_user;
    /// ```
    pub fn phone(phone: impl Into<String>) -> Self {
        Self::empty().with_phone(phone)
    }

    /// Also gives the user an email address.
    ///
    /// ```
    /// let new_user = passage_identity::CreateUser::phone("+15551234567").with_email("ada@example.com");
    /// # let _ = new_user;
    /// ```
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Also gives the user a phone number.
    ///
    /// ```
    /// let new_user = passage_identity::CreateUser::email("ada@example.com").with_phone("+15551234567");
    /// # let _ = new_user;
    /// ```
    pub fn with_phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// The user's metadata: anything that serializes to a JSON object (a `serde_json::Value`
    /// object, a map, a struct of your own). The fields must exist in the app's user metadata
    /// schema (Passage console).
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Profile { plan: &'static str, seats: u32 }
    ///
    /// let new_user = passage_identity::CreateUser::email("ada@example.com")
    ///     .metadata(Profile { plan: "team", seats: 5 });
    /// # let _ = new_user;
    /// ```
    pub fn metadata(mut self, metadata: impl serde::Serialize) -> Self {
        self.metadata = input::metadata(metadata).map_err(|e| MetadataError(reason_of(e)));
        self
    }

    pub(crate) fn into_request(self) -> Result<CreateUserRequest, ManagementError> {
        let mut request = CreateUserRequest::default();
        if let Some(email) = self.email {
            input::email("email", &email)?;
            request.email = Some(email);
        }
        if let Some(phone) = self.phone {
            request.phone = Some(input::phone("phone", &phone)?.into_raw());
        }
        request.user_metadata = self
            .metadata
            .map_err(|MetadataError(reason)| ManagementError::invalid("user_metadata", reason))?;
        Ok(request)
    }
}

/// Changes to a user: a new email address, phone number or metadata. Fields left unset are not
/// changed.
///
/// ```
/// use passage_identity::UpdateUser;
///
/// let change = UpdateUser::new()
///     .email("ada@new.example.com")
///     .metadata(serde_json::json!({ "plan": "enterprise" }));
/// # let _ = change;
/// ```
#[derive(Clone, Debug)]
#[must_use = "an UpdateUser does nothing until passed to Users::update"]
pub struct UpdateUser {
    email: Option<String>,
    phone: Option<String>,
    metadata: Option<Result<Map<String, Value>, MetadataError>>,
}

impl Default for UpdateUser {
    fn default() -> Self {
        Self::new()
    }
}

impl UpdateUser {
    /// No change yet; set at least one field.
    ///
    /// ```
    /// let change = passage_identity::UpdateUser::new().phone("+15551234567");
    /// # let _ = change;
    /// ```
    pub fn new() -> Self {
        Self {
            email: None,
            phone: None,
            metadata: None,
        }
    }

    /// A new email address.
    ///
    /// ```
    /// let change = passage_identity::UpdateUser::new().email("ada@example.com");
    /// # let _ = change;
    /// ```
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// A new E.164 phone number.
    ///
    /// ```
    /// let change = passage_identity::UpdateUser::new().phone("+15551234567");
    /// # let _ = change;
    /// ```
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    /// New metadata: anything that serializes to a non-empty JSON object.
    ///
    /// ```
    /// let change = passage_identity::UpdateUser::new()
    ///     .metadata(serde_json::json!({ "plan": "pro" }));
    /// # let _ = change;
    /// ```
    pub fn metadata(mut self, metadata: impl serde::Serialize) -> Self {
        self.metadata = Some(input::metadata(metadata).map_err(|e| MetadataError(reason_of(e))));
        self
    }

    pub(crate) fn into_request(self) -> Result<UpdateUserRequest, ManagementError> {
        let mut request = UpdateUserRequest::default();
        if let Some(email) = self.email {
            input::email("email", &email)?;
            request.email = Some(email);
        }
        if let Some(phone) = self.phone {
            request.phone = Some(input::phone("phone", &phone)?.into_raw());
        }
        if let Some(metadata) = self.metadata {
            let metadata = metadata.map_err(|MetadataError(reason)| {
                ManagementError::invalid("user_metadata", reason)
            })?;
            if metadata.is_empty() {
                // An empty object is not sent at all, so it would change nothing.
                return Err(ManagementError::invalid(
                    "user_metadata",
                    "must hold at least one field",
                ));
            }
            request.user_metadata = metadata;
        }
        if request.email.is_none() && request.phone.is_none() && request.user_metadata.is_empty() {
            return Err(ManagementError::invalid(
                "update",
                "nothing to change: set an email, a phone number or metadata",
            ));
        }
        Ok(request)
    }
}

fn reason_of(error: ManagementError) -> String {
    match error {
        ManagementError::InvalidInput { reason, .. } => reason,
        other => other.to_string(),
    }
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
    fn create_sends_only_what_was_set() {
        let request = CreateUser::email("ada@example.com").into_request().unwrap();
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({ "email": "ada@example.com" })
        );
    }

    #[test]
    fn create_with_both_and_metadata() {
        let request = CreateUser::phone("+15551234567")
            .with_email("ada@example.com")
            .metadata(serde_json::json!({ "plan": "pro" }))
            .into_request()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "email": "ada@example.com",
                "phone": "+15551234567",
                "user_metadata": { "plan": "pro" },
            })
        );
    }

    #[test]
    fn create_rejects_a_bad_phone_naming_the_field() {
        let e = CreateUser::phone("555-1234").into_request().unwrap_err();
        assert_eq!(field_of(e), "phone");
    }

    #[test]
    fn create_rejects_a_bad_email_naming_the_field() {
        let e = CreateUser::email("not-an-email")
            .into_request()
            .unwrap_err();
        assert_eq!(field_of(e), "email");
    }

    #[test]
    fn create_rejects_metadata_that_is_not_an_object() {
        let e = CreateUser::email("ada@example.com")
            .metadata("just a string")
            .into_request()
            .unwrap_err();
        assert_eq!(field_of(e), "user_metadata");
    }

    #[test]
    fn update_with_nothing_is_rejected() {
        assert_eq!(
            field_of(UpdateUser::new().into_request().unwrap_err()),
            "update"
        );
    }

    #[test]
    fn update_with_empty_metadata_is_rejected() {
        let e = UpdateUser::new()
            .metadata(serde_json::json!({}))
            .into_request()
            .unwrap_err();
        assert_eq!(field_of(e), "user_metadata");
    }

    #[test]
    fn update_sends_only_what_was_set() {
        let request = UpdateUser::new()
            .phone("+15551234567")
            .into_request()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({ "phone": "+15551234567" })
        );
    }
}
