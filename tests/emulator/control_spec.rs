//! `openapi/emulator-control.yaml` against the emulator: a valid OpenAPI 3 document whose
//! references resolve, and every operation it documents served, behind the API key. (A unit
//! test checks the other way round: every route served is documented.)

use reqwest::{Method, StatusCode};
use serde_yaml_ng::Value;

use crate::emulator::support::{Auth, call_raw, emulator};

const SPEC: &str = include_str!("../../openapi/emulator-control.yaml");

/// Every (method, path) the document has.
fn operations() -> Vec<(Method, String)> {
    let spec: openapiv3::OpenAPI = serde_yaml_ng::from_str(SPEC).expect("OpenAPI 3");
    let mut operations = Vec::new();
    for (path, item) in &spec.paths.paths {
        let item = item
            .as_item()
            .expect("paths are written out, not referenced");
        for (method, operation) in item.iter() {
            assert!(
                operation.operation_id.is_some(),
                "{method} {path} has an operationId"
            );
            operations.push((
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path.clone(),
            ));
        }
    }
    operations
}

fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, value) in map {
                match (key.as_str(), value.as_str()) {
                    (Some("$ref"), Some(target)) => found.push(target.to_owned()),
                    _ => references(value, found),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[test]
fn the_control_api_document_is_openapi_3_and_its_references_resolve() {
    assert!(operations().len() >= 17);
    let spec: Value = serde_yaml_ng::from_str(SPEC).unwrap();
    let mut found = Vec::new();
    references(&spec, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("a local reference: {target}"));
        let resolved = pointer
            .split('/')
            .try_fold(&spec, |node, part| node.get(part));
        assert!(resolved.is_some(), "{target} resolves");
    }
}

#[tokio::test]
async fn every_documented_operation_is_served_behind_the_api_key() {
    let emulator = emulator().await;
    for (method, path) in operations() {
        let path = path
            .replace("{app_id}", emulator.app_id())
            .replace("{user_id}", "some_user");
        assert!(path.starts_with("/emulator/v1/apps/"), "{path}");
        // The key is checked on routes that exist only: anything else is a 404 or a 405.
        let reply = call_raw(&emulator, method.clone(), &path, Auth::Nothing, Some("{}")).await;
        reply.assert_error(StatusCode::UNAUTHORIZED, "invalid_access_token");
        let reply = call_raw(
            &emulator,
            method.clone(),
            &path,
            Auth::Header("Bearer wrong"),
            Some("{}"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    assert_eq!(emulator.user_count(), 0, "nothing was changed");
}
