//! A user's recent events, as the service records them: a `register` event when the user is
//! created, a `login` event for each sign-in, each with the client's IP address and user agent.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use super::random_id;
use crate::enums::{SocialConnectionType, UserEventAction, UserEventStatus};
use crate::raw::types;

/// How many events a user keeps, newest first (the oldest are forgotten first).
pub(crate) const MAX_RECENT_EVENTS: usize = 100;

/// The user agent of what the emulator's handle does without HTTP.
pub(crate) const EMULATOR_USER_AGENT: &str =
    concat!("passage-emulator/", env!("CARGO_PKG_VERSION"));

/// Who an event came from: the client's address and user agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Client {
    pub(crate) ip_addr: String,
    pub(crate) user_agent: String,
}

impl Client {
    /// The emulator's handle itself, on loopback.
    pub(crate) fn emulator() -> Self {
        Self {
            ip_addr: "127.0.0.1".to_owned(),
            user_agent: EMULATOR_USER_AGENT.to_owned(),
        }
    }
}

/// What one event records.
#[derive(Clone, Debug)]
pub(crate) struct EventDetails {
    pub(crate) action: UserEventAction,
    pub(crate) complete: bool,
    pub(crate) client: Client,
    pub(crate) social: Option<SocialConnectionType>,
}

/// A user's events, newest first.
#[derive(Clone, Debug, Default)]
pub(crate) struct Events(VecDeque<types::UserEvent>);

impl Events {
    /// Records an event at `now`; a complete one is completed at once.
    pub(crate) fn push(&mut self, details: EventDetails, now: DateTime<Utc>) {
        let event = types::UserEvent {
            action: details.action.clone(),
            completed_at: details.complete.then_some(now),
            created_at: now,
            id: random_id(24),
            ip_addr: details.client.ip_addr,
            social_login_type: details.social,
            status: if details.complete {
                UserEventStatus::Complete
            } else {
                UserEventStatus::Incomplete
            },
            type_: details.action.as_str().to_owned(),
            user_agent_display: user_agent_display(&details.client.user_agent),
            user_agent: details.client.user_agent,
        };
        self.0.push_front(event);
        self.0.truncate(MAX_RECENT_EVENTS);
    }

    /// Events saved earlier, newest first (as [`to_vec`](Self::to_vec) gives them).
    pub(crate) fn from_newest_first(events: Vec<types::UserEvent>) -> Self {
        Self(events.into())
    }

    /// The events as the user record shows them, newest first.
    pub(crate) fn to_vec(&self) -> Vec<types::UserEvent> {
        self.0.iter().cloned().collect()
    }
}

/// A display-friendly form of a user agent: "Chrome on macOS" for a browser, the product name
/// ("python-requests") for anything else, empty for none.
pub(crate) fn user_agent_display(user_agent: &str) -> String {
    // Order matters: Edge and Chrome also say "Safari", Edge also says "Chrome".
    const BROWSERS: &[(&str, &str)] = &[
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: &[(&str, &str)] = &[
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(marker, _)| user_agent.contains(marker))
            .map(|(_, name)| *name)
    };
    match (find(BROWSERS), find(SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        _ => user_agent
            .split_whitespace()
            .next()
            .and_then(|product| product.split('/').next())
            .unwrap_or_default()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_shown_with_their_system() {
        let chrome_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                          (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(user_agent_display(chrome_mac), "Chrome on macOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                    Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0";
        assert_eq!(user_agent_display(edge), "Edge on Windows");
        let safari_ios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) \
                          AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 \
                          Safari/604.1";
        assert_eq!(user_agent_display(safari_ios), "Safari on iOS");
    }

    #[test]
    fn other_clients_are_shown_by_product_name() {
        assert_eq!(
            user_agent_display("python-requests/2.31.0"),
            "python-requests"
        );
        assert_eq!(user_agent_display(EMULATOR_USER_AGENT), "passage-emulator");
        assert_eq!(user_agent_display(""), "");
    }

    #[test]
    fn events_are_kept_newest_first_and_bounded() {
        let mut events = Events::default();
        let start = super::super::now();
        for n in 0..(MAX_RECENT_EVENTS as i64 + 5) {
            let details = EventDetails {
                action: UserEventAction::Login,
                complete: true,
                client: Client::emulator(),
                social: None,
            };
            events.push(details, start + chrono::Duration::seconds(n));
        }
        let shown = events.to_vec();
        assert_eq!(shown.len(), MAX_RECENT_EVENTS);
        assert!(shown.windows(2).all(|w| w[0].created_at > w[1].created_at));
    }
}
