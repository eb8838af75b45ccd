//! The settings of the emulated app, as get-app returns them: a complete `AppInfo` with the
//! values of a freshly created Passage app.

use chrono::{DateTime, Utc};

use crate::emulator::settings::Settings;
use crate::enums::{AppType, ThemeType, TtlDisplayUnit};
use crate::raw::types;

/// How long a magic link lives, in seconds (Passage's default for a new app); a link created
/// without a `ttl` lives this long.
pub(crate) const MAGIC_LINK_TTL_SECONDS: i64 = 300;

/// The app's `AppInfo`. `rsa_public_key` is the signing key's PEM, base64-encoded, as older
/// SDKs read it.
pub(crate) fn app_info(
    settings: &Settings,
    created_at: DateTime<Utc>,
    rsa_public_key: String,
) -> types::AppInfo {
    let origin = settings.auth_origin();
    types::AppInfo {
        additional_auth_origins: Vec::new(),
        allowed_callback_urls: Vec::new(),
        allowed_identifier: "both".to_owned(),
        allowed_logout_urls: Vec::new(),
        application_login_uri: String::new(),
        auth_fallback_method: "magic_link".to_owned(),
        auth_fallback_method_ttl: 300,
        auth_methods: types::AuthMethods {
            magic_link: types::TimedAuthMethod {
                enabled: true,
                ttl: MAGIC_LINK_TTL_SECONDS,
                ttl_display_unit: TtlDisplayUnit::Minutes,
            },
            otp: types::TimedAuthMethod {
                enabled: true,
                ttl: 300,
                ttl_display_unit: TtlDisplayUnit::Minutes,
            },
            passkeys: types::PasskeysAuthMethod { enabled: true },
        },
        auth_origin: origin.to_owned(),
        auto_theme_enabled: false,
        created_at,
        dark_logo_url: None,
        default_language: "en".to_owned(),
        element_customization: types::ElementCustomization::default(),
        element_customization_dark: types::ElementCustomization::default(),
        hosted: false,
        hosted_subdomain: String::new(),
        hosted_theme: ThemeType::Auto,
        id: settings.app_id().to_owned(),
        id_token_lifetime: None,
        layouts: types::Layouts {
            profile: Vec::new(),
            registration: Vec::new(),
        },
        light_logo_url: None,
        login_url: "/".to_owned(),
        name: "Passage emulator".to_owned(),
        passage_branding: true,
        profile_management: true,
        public_signup: true,
        redirect_url: "/".to_owned(),
        refresh_absolute_lifetime: 86_400 * 30,
        refresh_enabled: false,
        refresh_inactivity_lifetime: 86_400 * 5,
        require_email_verification: false,
        require_identifier_verification: false,
        required_identifier: "either".to_owned(),
        role: "admin".to_owned(),
        rsa_public_key,
        secret: None,
        session_timeout_length: 3_600,
        technologies: Vec::new(),
        type_: AppType::Complete,
        user_metadata_schema: Vec::new(),
    }
}
