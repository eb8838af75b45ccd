//! User management, magic links and app info through the facade, against the emulator: every
//! method, every local check, every API error, retries, pagination, and what reaches the logs.

mod common;

#[path = "users/crud.rs"]
mod crud;
#[path = "users/errors.rs"]
mod errors;
#[path = "users/faults.rs"]
mod faults;
#[path = "users/listing.rs"]
mod listing;
#[path = "users/load.rs"]
mod load;
#[path = "users/logs.rs"]
mod logs;
#[path = "users/magic_links.rs"]
mod magic_links;
#[path = "users/retries.rs"]
mod retries;
#[path = "users/scripted.rs"]
mod scripted;
#[path = "users/secrets.rs"]
mod secrets;
#[path = "users/validation.rs"]
mod validation;
#[path = "users/wire_formats.rs"]
mod wire_formats;
