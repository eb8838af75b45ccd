//! The emulator's control API: over HTTP, everything the [`Emulator`](crate::emulator::Emulator)
//! handle does, for tests written in any language. Under `/emulator/v1/apps/{app_id}`, behind the
//! app's API key; documented in `openapi/emulator-control.yaml`.
//!
//! The handlers call what the handle's methods call (`emulator::actions`, the store, the
//! controls), so both behave alike. The router serves these routes outside the request log and
//! fault injection (see [`crate::emulator::http`]): a test's own controls are not part of what
//! it tests, and a fault on every path cannot lock the test out of clearing it.

mod faults;
mod records;
mod state;
mod tokens;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

use crate::emulator::context::Context;
use crate::emulator::extract::BODY_LIMIT;

/// Where the control API is served; every path below is under it.
pub(crate) const PREFIX: &str = "/emulator/v1/apps/{app_id}";

/// Declares the routes once: the router is built from this list, and a test checks it against
/// `openapi/emulator-control.yaml`.
macro_rules! control_routes {
    ($($method:ident $path:literal => $handler:expr,)*) => {
        /// Every route as (method, path under [`PREFIX`]).
        #[cfg_attr(not(test), allow(dead_code))]
        pub(crate) const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// The control routes (without the API key and app checks; see
        /// [`crate::emulator::http`]).
        pub(crate) fn routes() -> Router<Arc<Context>> {
            Router::new()
                $(.route(&format!("{PREFIX}{}", $path), $method($handler)))*
                .layer(DefaultBodyLimit::max(BODY_LIMIT))
        }
    };
}

control_routes! {
    post "/tokens" => tokens::issue,
    get "/keys" => tokens::keys,
    post "/keys/rotate" => tokens::rotate,
    post "/users" => users::seed,
    post "/users/{user_id}/devices" => users::add_device,
    post "/users/{user_id}/logins" => users::record_login,
    get "/users/{user_id}/refresh-token-revocations" => users::revocations,
    get "/faults" => faults::pending,
    post "/faults" => faults::inject,
    delete "/faults" => faults::clear,
    get "/requests" => records::requests,
    delete "/requests" => records::clear_requests,
    get "/magic-links" => records::magic_links,
    post "/reset" => state::reset,
    get "/state" => state::export,
    put "/state" => state::import,
    post "/state/save" => state::save,
}

/// An emulator failure, in the error form of the rest (its causes included).
fn internal(error: &crate::emulator::EmulatorError) -> crate::emulator::rejection::ApiError {
    crate::emulator::rejection::ApiError::internal(crate::auth::ErrorChain(error).to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const SPEC: &str = include_str!("../../../../openapi/emulator-control.yaml");

    #[test]
    fn the_routes_are_the_documented_ones() {
        let spec: serde_yaml_ng::Value = serde_yaml_ng::from_str(SPEC).unwrap();
        let mut documented = BTreeSet::new();
        for (path, item) in spec["paths"].as_mapping().unwrap() {
            let path = path.as_str().unwrap();
            for (method, _) in item.as_mapping().unwrap() {
                let method = method.as_str().unwrap();
                if method != "parameters" {
                    documented.insert((method.to_owned(), path.to_owned()));
                }
            }
        }
        let served: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|(method, path)| ((*method).to_owned(), format!("{PREFIX}{path}")))
            .collect();
        assert_eq!(served, documented);
    }
}
