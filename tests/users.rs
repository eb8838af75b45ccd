//! User management, magic links and app info through the facade, against the emulator: every
//! method, every local check, every API error, retries, pagination, and what reaches the logs.

mod common;

mod users {
    mod crud;
    mod error_answers;
    mod faults;
    mod listing;
    mod load;
    mod magic_links;
    mod retries;
    pub(crate) mod scripted;
    mod secrets;
    mod tracing_without_secrets;
    mod validation;
    mod wire_formats;
}
