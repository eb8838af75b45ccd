//! Every operation of the API, by the generated client's operation id: its path and whether it
//! may be sent twice safely. The retry loop asks whether an operation is idempotent; the request
//! hook holds every request's path to its operation's shape, so that no argument of the
//! low-level client can turn one path into another.

use super::input::is_id_char;

/// One operation of the API.
struct Operation {
    id: &'static str,
    /// The path below the base URL, as in the spec.
    path: &'static str,
    idempotent: bool,
}

/// A test holds this list to the spec, so an operation added to the spec must be described here.
const OPERATIONS: &[Operation] = &[
    op("get_app", "/apps/{app_id}", true),
    op("create_magic_link", "/apps/{app_id}/magic-links", false),
    op("list_paginated_users", "/apps/{app_id}/users", true),
    op("create_user", "/apps/{app_id}/users", false),
    op("get_user", "/apps/{app_id}/users/{user_id}", true),
    op("update_user", "/apps/{app_id}/users/{user_id}", false),
    op("delete_user", "/apps/{app_id}/users/{user_id}", true),
    op(
        "activate_user",
        "/apps/{app_id}/users/{user_id}/activate",
        true,
    ),
    op(
        "deactivate_user",
        "/apps/{app_id}/users/{user_id}/deactivate",
        true,
    ),
    op(
        "list_user_devices",
        "/apps/{app_id}/users/{user_id}/devices",
        true,
    ),
    op(
        "delete_user_devices",
        "/apps/{app_id}/users/{user_id}/devices/{device_id}",
        true,
    ),
    op(
        "revoke_user_refresh_tokens",
        "/apps/{app_id}/users/{user_id}/tokens",
        true,
    ),
];

const fn op(id: &'static str, path: &'static str, idempotent: bool) -> Operation {
    Operation {
        id,
        path,
        idempotent,
    }
}

fn find(operation_id: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.id == operation_id)
}

/// Whether an operation may be sent twice safely; an operation not in the list is not.
pub(crate) fn is_idempotent(operation_id: &str) -> bool {
    find(operation_id).is_some_and(|op| op.idempotent)
}

/// Why `path` (the request's path below the base URL, percent-encoded as sent) is not a path of
/// `operation_id`, or `None` when it is one: the literal segments must be the operation's, and
/// each parameter one segment of ASCII letters, digits, `-` and `_`. URL parsing has already
/// resolved `.`, `..` and `\` at this point, so an id made of them shows as a path of another
/// shape; an encoded character (`%2F`, `%25`, anything outside ASCII) shows as a `%`.
pub(crate) fn path_problem(operation_id: &str, path: &str) -> Option<String> {
    let Some(operation) = find(operation_id) else {
        return Some(format!("{operation_id} is not an operation of the API"));
    };
    let shape = || format!("the path is not of the form {}", operation.path);
    let Some(sent) = path.strip_prefix('/') else {
        return Some(shape());
    };
    let mut sent = sent.split('/');
    let mut expected = operation.path.trim_start_matches('/').split('/');
    loop {
        match (expected.next(), sent.next()) {
            (None, None) => return None,
            (Some(template), Some(segment)) => {
                if let Some(name) = template.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    if segment.is_empty() || !segment.chars().all(is_id_char) {
                        return Some(format!(
                            "{name} may hold only ASCII letters, digits, '-' and '_'"
                        ));
                    }
                } else if template != segment {
                    return Some(shape());
                }
            }
            _ => return Some(shape()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_of_the_spec_is_described_and_nothing_else() {
        let spec = include_str!("../../openapi/passage-management.yaml");
        let mut in_spec: Vec<(String, String)> = Vec::new();
        let mut path = String::new();
        for line in spec.lines() {
            if let Some(p) = line.strip_prefix("  /").and_then(|p| p.strip_suffix(':')) {
                path = format!("/{p}");
            }
            if let Some(id) = line.trim().strip_prefix("operationId:") {
                in_spec.push((id.trim().replace('-', "_"), path.clone()));
            }
        }
        in_spec.sort();
        let mut described: Vec<(String, String)> = OPERATIONS
            .iter()
            .map(|op| (op.id.to_owned(), op.path.to_owned()))
            .collect();
        described.sort();
        assert_eq!(described, in_spec);
    }

    #[test]
    fn writes_that_create_are_not_idempotent() {
        assert!(!is_idempotent("create_user"));
        assert!(!is_idempotent("create_magic_link"));
        assert!(!is_idempotent("update_user"));
        assert!(is_idempotent("deactivate_user"));
        assert!(!is_idempotent("no_such_operation"));
    }

    #[test]
    fn paths_of_the_operations_shape_pass() {
        assert_eq!(path_problem("get_app", "/apps/app_1"), None);
        assert_eq!(
            path_problem(
                "delete_user_devices",
                "/apps/a/users/2ubD84sL3kKHNd0dmYKAWmDn/devices/d-1"
            ),
            None
        );
    }

    #[test]
    fn paths_of_another_shape_or_with_other_characters_are_refused() {
        for (operation, path) in [
            // `..\..\u1` as a device id, resolved by URL parsing:
            ("delete_user_devices", "/apps/a/users/u1"),
            ("delete_user", "/apps/a/users/u1/devices/d1"),
            ("get_user", "/apps/a/users/a%2Fb"),
            ("get_user", "/apps/a/users/a;b"),
            ("get_user", "/apps/a/users/caf%C3%A9"),
            ("get_user", "/apps/a/users/"),
            ("get_user", "/apps/a/user/u1"),
            ("get_app", "apps/a"),
            ("no_such_operation", "/apps/a"),
        ] {
            assert!(
                path_problem(operation, path).is_some(),
                "{operation} {path}"
            );
        }
        assert_eq!(
            path_problem("get_user", "/apps/a/users/a%2Fb").as_deref(),
            Some("user_id may hold only ASCII letters, digits, '-' and '_'")
        );
    }
}
