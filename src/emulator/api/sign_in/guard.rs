//! What the sign-in page lets through: where it sends the browser back to (loopback URLs only, so
//! it is no open redirect), and which form posts it accepts (none from another origin).

use std::net::Ipv6Addr;

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use url::{Host, Url};

/// The header browsers send to say where a request comes from, relative to its target.
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// Parses a `redirect_to`: an absolute `http` or `https` URL on `localhost`, `127.x.x.x` or
/// `[::1]`, without a user name or password. Returns it as the WHATWG parser (and so the browser)
/// reads it, which is what the redirect then sends: the checked URL and the followed one are the
/// same.
pub(crate) fn loopback_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("it is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("its scheme is {:?}, not http", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it carries a user name or password".into());
    }
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
        None => false,
    };
    if loopback {
        Ok(url)
    } else {
        Err("its host is not localhost, 127.x.x.x or [::1]".into())
    }
}

/// Whether a state-changing request may go on: not when a browser says it comes from another
/// origin (another site, or another port of this one).
///
/// The rule is the one of Go's `http.CrossOriginProtection`: trust `Sec-Fetch-Site` when the
/// browser sends it (`same-origin`, or `none` for one the user typed); else compare `Origin` with
/// the `Host` the request was sent to; a request with neither comes from no browser (curl, a test),
/// which no other site can make a browser send.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get(SEC_FETCH_SITE) {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let origin = origin.to_str().ok().and_then(|o| Url::parse(o).ok());
    match (origin, request_origin(headers)) {
        (Some(origin), Some(here)) => origin.origin() == here.origin(),
        _ => false,
    }
}

/// Whether a link from another site led here (only `Sec-Fetch-Site: cross-site` says so): the
/// sign-out link is followed from the app, a sibling port of the same site, never from elsewhere.
pub(crate) fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get(SEC_FETCH_SITE)
        .is_some_and(|site| site.as_bytes() == b"cross-site")
}

/// `http://{Host}/`: where the browser sent the request, by its `Host` header.
pub(crate) fn request_origin(headers: &HeaderMap) -> Option<Url> {
    let host = headers.get(HOST)?.to_str().ok()?;
    Url::parse(&format!("http://{host}/"))
        .ok()
        .filter(|url| url.path() == "/" && url.query().is_none())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn accepted(raw: &str) -> String {
        loopback_url(raw)
            .unwrap_or_else(|e| panic!("{raw:?} refused: {e}"))
            .to_string()
    }

    #[test]
    fn loopback_urls_are_accepted_as_the_browser_reads_them() {
        assert_eq!(
            accepted("http://localhost:3000/a?b=c#d"),
            "http://localhost:3000/a?b=c#d"
        );
        assert_eq!(accepted("http://LOCALHOST:3000"), "http://localhost:3000/");
        assert_eq!(accepted("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/");
        assert_eq!(accepted("http://127.1.2.3/"), "http://127.1.2.3/");
        assert_eq!(accepted("http://127.1/"), "http://127.0.0.1/");
        assert_eq!(accepted("http://[::1]:3000/x"), "http://[::1]:3000/x");
        assert_eq!(accepted("https://localhost/"), "https://localhost/");
    }

    #[test]
    fn other_hosts_and_tricks_are_refused() {
        for raw in [
            "",
            "/relative",
            "//evil.example/",
            "http://evil.example/",
            "http://localhost.evil.example/",
            "http://evil.example/localhost",
            "http://localhost@evil.example/",
            "http://user:pass@localhost/",
            "http://128.0.0.1/",
            "http://10.0.0.1/",
            "http://0.0.0.0/",
            "http://[::2]/",
            "http://[::ffff:127.0.0.1]/",
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "ftp://localhost/",
            "http:\\\\evil.example\\",
        ] {
            assert!(loopback_url(raw).is_err(), "{raw:?} must be refused");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn posts_from_this_origin_or_from_no_browser_pass() {
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(same_origin(&headers(&[("sec-fetch-site", "none")])));
        assert!(same_origin(&headers(&[])));
        assert!(same_origin(&headers(&[
            ("origin", "http://localhost:8787"),
            ("host", "localhost:8787"),
        ])));
    }

    #[test]
    fn posts_from_another_origin_are_refused() {
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        // Another port of the same host is the same site, not the same origin.
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!same_origin(&headers(&[
            ("origin", "http://localhost:3000"),
            ("host", "localhost:8787"),
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "localhost:8787"),
        ])));
        assert!(!same_origin(&headers(&[
            ("origin", "null"),
            ("host", "localhost:8787"),
        ])));
        assert!(!same_origin(&headers(&[(
            "origin",
            "http://localhost:8787"
        )])));
    }

    #[test]
    fn only_cross_site_links_count_as_cross_site() {
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!cross_site(&headers(&[])));
    }

    #[test]
    fn the_request_origin_comes_from_the_host_header() {
        let origin = |host| request_origin(&headers(&[("host", host)])).map(String::from);
        assert_eq!(
            origin("localhost:8787").as_deref(),
            Some("http://localhost:8787/")
        );
        assert_eq!(origin("[::1]:80").as_deref(), Some("http://[::1]/"));
        assert_eq!(origin("evil.example/path?"), None);
        assert_eq!(request_origin(&headers(&[])), None);
    }
}
