//! The sign-in page's HTML: plain server-rendered forms, no script. Every value that comes from a
//! request or the store is escaped on its way in, text and attributes alike.

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use url::Url;

use super::{SIGN_IN_PATH, USERS_PATH, page_url};
use crate::enums::UserStatus;

const STYLE: &str = include_str!("page.css");

/// One user as the page lists them.
#[derive(Debug)]
pub(crate) struct UserRow {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) status: UserStatus,
    pub(crate) last_login: Option<String>,
}

impl UserRow {
    /// What the user is called on the page.
    pub(crate) fn email_or_phone(&self) -> &str {
        email_or_phone(&self.email, &self.phone)
    }

    /// Whether the page offers to sign in as this user: not when deactivated.
    pub(crate) fn can_sign_in(&self) -> bool {
        self.status != UserStatus::Inactive
    }
}

/// The email, else the phone: what a user is called on the page and in its notices.
pub(crate) fn email_or_phone<'a>(email: &'a str, phone: &'a str) -> &'a str {
    if email.is_empty() { phone } else { email }
}

/// A line at the top of the page: what just happened, or what went wrong.
#[derive(Debug)]
pub(crate) enum Notice {
    Info(String),
    Error(String),
}

/// Everything the sign-in page shows.
#[derive(Debug)]
pub(crate) struct SignInPage<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) redirect_to: Option<&'a Url>,
    /// The search as typed.
    pub(crate) query: &'a str,
    /// The users shown (newest first), at most [`super::MAX_SHOWN`].
    pub(crate) users: Vec<UserRow>,
    /// How many users match the search.
    pub(crate) matching: usize,
    /// How many users the app has.
    pub(crate) total: usize,
    pub(crate) notice: Option<Notice>,
    /// What the create form holds (kept after a refusal).
    pub(crate) new_email: &'a str,
    pub(crate) new_phone: &'a str,
    /// This page on the host name of `redirect_to`, when the browser came by another one (the
    /// cookie would land where the app never sees it).
    pub(crate) other_host: Option<String>,
}

impl SignInPage<'_> {
    /// The whole document.
    pub(crate) fn render(&self) -> String {
        let mut body = String::new();
        let app = text(self.app_id);
        let _ = write!(
            body,
            "<header><h1>Sign in</h1><p class=\"muted\">Passage emulator · app <code>{app}</code></p></header>"
        );
        match &self.notice {
            Some(Notice::Info(message)) => {
                let _ = write!(
                    body,
                    "<p class=\"notice\" role=\"status\">{}</p>",
                    text(message)
                );
            }
            Some(Notice::Error(message)) => {
                let _ = write!(
                    body,
                    "<p class=\"notice error\" role=\"alert\">{}</p>",
                    text(message)
                );
            }
            None => {}
        }
        if let Some(url) = &self.other_host {
            let _ = write!(
                body,
                "<p class=\"notice error\" role=\"alert\">This page is open under another host \
                 name than the app you return to, so the app would not see the cookie. \
                 <a href=\"{}\">Open it under the app's host name</a>.</p>",
                attr(url)
            );
        }
        match self.redirect_to {
            Some(url) => {
                let _ = write!(
                    body,
                    "<p>Pick a user to sign in as; you then go back to <code>{}</code>.</p>",
                    text(url.as_str())
                );
            }
            None => body.push_str(
                "<p>Pick a user to sign in as. Add <code>?redirect_to=</code> and your app's URL \
                 to this page's address to go back there afterwards.</p>",
            ),
        }
        self.search_form(&mut body);
        self.user_table(&mut body);
        self.create_form(&mut body);
        body.push_str(
            "<footer><p>The emulator sets the <code>psg_auth_token</code> cookie, as Passage's \
             elements do, for the host name in the address bar on every port: open the app and \
             this page under the same one (both <code>localhost</code>, or both \
             <code>127.0.0.1</code>).</p><p>For local development only: no API key is needed \
             here, so anyone who can reach the emulator can sign in as any user.</p></footer>",
        );
        document("Sign in · Passage emulator", &body)
    }

    fn redirect_field(&self) -> String {
        self.redirect_to.map_or_else(String::new, |url| {
            format!(
                "<input type=\"hidden\" name=\"redirect_to\" value=\"{}\">",
                attr(url.as_str())
            )
        })
    }

    fn search_form(&self, body: &mut String) {
        let _ = write!(
            body,
            "<form method=\"get\" action=\"{SIGN_IN_PATH}\" role=\"search\"><div class=\"row\">{}\
             <div class=\"field\"><label for=\"q\">Search by email or phone</label>\
             <input type=\"search\" id=\"q\" name=\"q\" value=\"{}\"></div>\
             <button type=\"submit\">Search</button>",
            self.redirect_field(),
            attr(self.query)
        );
        if !self.query.is_empty() {
            let all = page_url(self.redirect_to, &[]);
            let _ = write!(body, "<a href=\"{}\">Show all users</a>", attr(&all));
        }
        body.push_str("</div></form>");
    }

    fn user_table(&self, body: &mut String) {
        let _ = write!(body, "<h2 id=\"users\">Users</h2>");
        if self.users.is_empty() {
            let message = if self.total == 0 {
                "This app has no users yet: create one below.".to_owned()
            } else {
                format!("No user matches “{}”.", self.query)
            };
            let _ = write!(body, "<p>{}</p>", text(&message));
            return;
        }
        let shown = self.users.len();
        let summary = if shown < self.matching {
            format!(
                "The newest {shown} of {} matching users; search to narrow down.",
                self.matching
            )
        } else if self.query.is_empty() {
            format!("{shown} user{}, newest first.", plural(shown))
        } else {
            format!(
                "{shown} of {} user{} match, newest first.",
                self.total,
                plural(self.total)
            )
        };
        let _ = write!(
            body,
            "<p class=\"muted\">{}</p><form method=\"post\" action=\"{SIGN_IN_PATH}\">{}\
             <table aria-labelledby=\"users\"><thead><tr><th scope=\"col\">Email</th>\
             <th scope=\"col\">Phone</th><th scope=\"col\">User id</th>\
             <th scope=\"col\">Last sign-in</th><th scope=\"col\"><span class=\"muted\">Action</span></th>\
             </tr></thead><tbody>",
            text(&summary),
            self.redirect_field()
        );
        for user in &self.users {
            let last = user.last_login.as_deref().unwrap_or("never");
            let button = if user.can_sign_in() {
                format!(
                    "<button type=\"submit\" name=\"user_id\" value=\"{}\" aria-label=\"Sign in as {}\">Sign in</button>",
                    attr(&user.id),
                    attr(user.email_or_phone())
                )
            } else {
                format!(
                    "<button type=\"button\" disabled aria-label=\"{} is {}: cannot sign in\">{}</button>",
                    attr(user.email_or_phone()),
                    attr(user.status.as_str()),
                    text(user.status.as_str())
                )
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"action\">{button}</td></tr>",
                text(&user.email),
                text(&user.phone),
                text(&user.id),
                text(last)
            );
        }
        body.push_str("</tbody></table></form>");
    }

    fn create_form(&self, body: &mut String) {
        let _ = write!(
            body,
            "<h2>Create a user</h2><form method=\"post\" action=\"{USERS_PATH}\">{}\
             <div class=\"row\"><div class=\"field\"><label for=\"new-email\">Email</label>\
             <input type=\"email\" id=\"new-email\" name=\"email\" autocomplete=\"off\" value=\"{}\"></div>\
             <div class=\"field\"><label for=\"new-phone\">Phone</label>\
             <input type=\"tel\" id=\"new-phone\" name=\"phone\" autocomplete=\"off\" \
             aria-describedby=\"phone-hint\" value=\"{}\"></div>\
             <button type=\"submit\" class=\"secondary\">Create user</button></div>\
             <p class=\"hint\" id=\"phone-hint\">An email, a phone in E.164 form \
             (like <code>+15551234567</code>), or both.</p></form>",
            self.redirect_field(),
            attr(self.new_email),
            attr(self.new_phone)
        );
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A page that only says what went wrong, with a way back.
pub(crate) fn problem_page(title: &str, message: &str) -> String {
    let body = format!(
        "<h1>{}</h1><p class=\"notice error\" role=\"alert\">{}</p>\
         <p><a href=\"{SIGN_IN_PATH}\">Back to the sign-in page</a></p>",
        text(title),
        text(message)
    );
    document(title, &body)
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>\n",
        text(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page<'a>(users: Vec<UserRow>, query: &'a str) -> SignInPage<'a> {
        let matching = users.len();
        SignInPage {
            app_id: "app<1>",
            redirect_to: None,
            query,
            users,
            matching,
            total: matching,
            notice: None,
            new_email: "",
            new_phone: "",
            other_host: None,
        }
    }

    fn row(email: &str) -> UserRow {
        UserRow {
            id: "id\"1".into(),
            email: email.into(),
            phone: String::new(),
            status: UserStatus::Active,
            last_login: None,
        }
    }

    #[test]
    fn user_data_is_escaped_in_text_and_attributes() {
        let html = page(vec![row("<script>x</script>@a.b")], "\"><img src=x>").render();
        assert!(!html.contains("<script>x"), "{html}");
        assert!(!html.contains("\"><img"), "{html}");
        assert!(
            html.contains("&lt;script&gt;x&lt;/script&gt;@a.b"),
            "{html}"
        );
        assert!(html.contains("value=\"id&quot;1\""), "{html}");
        assert!(html.contains("app&lt;1&gt;"), "{html}");
    }

    #[test]
    fn each_user_has_a_labelled_sign_in_button() {
        let html = page(vec![row("ada@example.com")], "").render();
        assert!(
            html.contains("aria-label=\"Sign in as ada@example.com\">Sign in</button>"),
            "{html}"
        );
        assert!(html.contains("<label for=\"q\">"), "{html}");
        assert!(html.contains("<label for=\"new-email\">"), "{html}");
    }

    #[test]
    fn an_inactive_user_cannot_be_picked() {
        let mut user = row("ada@example.com");
        user.status = UserStatus::Inactive;
        let html = page(vec![user], "").render();
        assert!(!html.contains("name=\"user_id\""), "{html}");
        assert!(html.contains("disabled"), "{html}");
    }
}
