//! Response bodies shaped like the service's, for stub servers.

use serde_json::{Value, json};

pub const USER_ID: &str = "0123456789abcdefABCDEF01";

pub fn device() -> Value {
    json!({
        "id": "dev_1", "cred_id": "cred_1", "friendly_name": "Chrome on Mac",
        "type": "passkey", "usage_count": 3,
        "created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z",
        "last_login_at": "2024-01-03T03:04:05Z",
        "icons": {"light": null, "dark": "data:image/svg+xml;base64,AAAA"}
    })
}

pub fn user() -> Value {
    json!({
        "id": USER_ID, "email": "ada@example.com", "email_verified": true,
        "phone": "", "phone_verified": false, "status": "active",
        "created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z",
        "last_login_at": "2024-01-03T03:04:05Z", "login_count": 2,
        "user_metadata": null, "webauthn": true, "webauthn_devices": [device()],
        "webauthn_types": ["passkey"],
        "recent_events": [{
            "id": "evt_1", "type": "login", "action": "login", "status": "complete",
            "created_at": "2024-01-03T03:04:05Z", "completed_at": null,
            "ip_addr": "192.0.2.1", "user_agent": "Mozilla/5.0", "user_agent_display": "Chrome",
            "social_login_type": null
        }],
        "social_connections": {"google": {
            "provider_id": "g1", "provider_identifier": "ada@example.com",
            "created_at": "2024-01-02T03:04:05Z", "last_login_at": "2024-01-02T03:04:05Z"
        }},
        "external_id": ""
    })
}

pub fn user_response() -> Value {
    json!({ "user": user() })
}

pub fn user_summary() -> Value {
    json!({
        "id": USER_ID, "email": "ada@example.com", "email_verified": true,
        "phone": "+15005550006", "phone_verified": true, "status": "inactive",
        "created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z",
        "last_login_at": "2024-01-03T03:04:05Z", "login_count": 0,
        "user_metadata": {"plan": "pro"}, "external_id": "ext-7"
    })
}

pub fn list_response() -> Value {
    let link = |href: &str| json!({ "href": href });
    json!({
        "users": [user_summary()], "total_users": 1, "page": 1, "limit": 10,
        "created_before": 1_700_000_000,
        "_links": {
            "first": link("/v1/apps/app/users?page=1"), "last": link("/v1/apps/app/users?page=1"),
            "next": link(""), "previous": link(""), "self": link("/v1/apps/app/users?page=1")
        }
    })
}

pub fn magic_link_response() -> Value {
    json!({ "magic_link": {
        "id": "ml_1", "app_id": "app", "user_id": USER_ID, "identifier": "ada@example.com",
        "type": "login", "url": "https://example.com/login?psg_magic_link=secret",
        "secret": "secret", "ttl": 15, "activated": false, "redirect_url": "/"
    }})
}

pub fn app_response(app_id: &str) -> Value {
    let custom = json!({ "passage_body_font_family": "Helvetica" });
    json!({ "app": {
        "id": app_id, "name": "Demo", "type": "complete", "auth_origin": "http://localhost:3000",
        "additional_auth_origins": [], "allowed_callback_urls": [], "allowed_identifier": "both",
        "allowed_logout_urls": [], "application_login_uri": "", "auth_fallback_method": "magic_link",
        "auth_fallback_method_ttl": 300,
        "auth_methods": {
            "passkeys": {"enabled": true},
            "otp": {"enabled": true, "ttl": 300, "ttl_display_unit": "m"},
            "magic_link": {"enabled": true, "ttl": 300, "ttl_display_unit": "m"}
        },
        "auto_theme_enabled": false, "created_at": "2024-01-01T00:00:00Z",
        "default_language": "en", "element_customization": custom.clone(),
        "element_customization_dark": custom, "hosted": false, "hosted_subdomain": "",
        "hosted_theme": "auto", "layouts": {"registration": [], "profile": []},
        "login_url": "/", "passage_branding": true, "profile_management": true,
        "public_signup": true, "redirect_url": "/", "refresh_absolute_lifetime": 0,
        "refresh_enabled": false, "refresh_inactivity_lifetime": 0,
        "require_email_verification": false, "require_identifier_verification": false,
        "required_identifier": "either", "role": "", "rsa_public_key": "",
        "session_timeout_length": 86400, "technologies": ["go", "rust-someday"],
        "user_metadata_schema": []
    }})
}
