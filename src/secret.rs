//! A string that never shows itself in `Debug` or `Display` output.

use std::fmt;

/// A secret value, such as the app's API key. Its `Debug` output is `"[redacted]"`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("sk_live_123");
        assert_eq!(format!("{secret:?}"), "\"[redacted]\"");
        assert_eq!(secret.expose(), "sk_live_123");
    }
}
