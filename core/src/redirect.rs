//! Redirects, decided in one place. No host follows a redirect by itself: a
//! 3xx comes back to the core, which follows it only where the service sends
//! one on purpose (a token read, a File Share preview), once, to an http(s)
//! target, never from HTTPS down to HTTP, and always without credentials —
//! the target URL carries its own short-lived token, and a bearer or a link
//! password sent along would leak to whatever host the `Location` names.

use crate::http::{Body, HttpRequest, HttpResponse, Method, header};

/// Why a redirect is not followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// The answer is not a redirect.
    #[error("HTTP {0} is not a redirect")]
    NotRedirect(u16),
    /// No `Location`, or one that is not an http(s) URL or a path.
    #[error("HTTP {0} without a usable Location")]
    NoLocation(u16),
    /// The redirect would leave HTTPS for HTTP.
    #[error("a redirect from HTTPS to HTTP")]
    Downgrade,
}

/// The absolute URL a 3xx answer to a request for `from` points at.
pub fn target(from: &str, resp: &HttpResponse) -> Result<String, RedirectError> {
    if !(300..400).contains(&resp.status) {
        return Err(RedirectError::NotRedirect(resp.status));
    }
    let url = header(&resp.headers, "location")
        .and_then(|loc| resolve_location(from, loc.trim()))
        .ok_or(RedirectError::NoLocation(resp.status))?;
    if from.starts_with("https://") && !url.starts_with("https://") {
        return Err(RedirectError::Downgrade);
    }
    Ok(url)
}

/// The GET that follows a redirect: to [`target`], with no `Authorization`,
/// no password header and no cookie — only what identifies the client.
pub fn follow(
    from: &str,
    resp: &HttpResponse,
    user_agent: &str,
) -> Result<HttpRequest, RedirectError> {
    Ok(HttpRequest {
        method: Method::Get,
        url: target(from, resp)?,
        headers: vec![("User-Agent".into(), user_agent.to_string())],
        body: Body::Empty,
    })
}

/// An absolute URL for a `Location` value, relative to `base`; `None` for
/// anything that is not an http(s) URL or a path.
fn resolve_location(base: &str, loc: &str) -> Option<String> {
    if loc.is_empty() || loc.chars().any(|c| c.is_control() || c == ' ') {
        return None;
    }
    if loc.starts_with("https://") || loc.starts_with("http://") {
        return Some(loc.to_string());
    }
    let (scheme, rest) = base.split_once("://")?;
    if let Some(net) = loc.strip_prefix("//") {
        return Some(format!("{scheme}://{net}"));
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..authority_end]);
    if loc.starts_with('/') {
        return Some(format!("{origin}{loc}"));
    }
    if loc.contains(':') && !loc.starts_with('.') {
        // Another scheme (`ftp:`, `javascript:`): not followed.
        return None;
    }
    let path = rest[authority_end..]
        .split(['?', '#'])
        .next()
        .unwrap_or("/");
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    Some(format!("{origin}{dir}/{loc}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect(status: u16, location: &str) -> HttpResponse {
        let mut r = HttpResponse::new(status, Vec::new());
        r.headers.push(("Location".into(), location.into()));
        r
    }

    #[test]
    fn a_followed_redirect_carries_no_credential() {
        let from = "https://api.fast.io/current/fileshare/5/storage/preview/thumbnail/read/";
        let req = follow(from, &redirect(307, "/blob/1?token=t"), "ua/1").unwrap();
        assert_eq!(req.url, "https://api.fast.io/blob/1?token=t");
        assert_eq!(req.method, Method::Get);
        assert_eq!(
            req.headers,
            vec![("User-Agent".to_string(), "ua/1".to_string())]
        );
    }

    #[test]
    fn downgrades_missing_locations_and_non_redirects_are_refused() {
        let from = "https://api.fast.io/current/x/";
        assert_eq!(
            target(from, &redirect(302, "http://cdn.example/x")),
            Err(RedirectError::Downgrade)
        );
        assert_eq!(
            target(from, &redirect(301, "javascript:alert(1)")),
            Err(RedirectError::NoLocation(301))
        );
        assert_eq!(
            target(from, &HttpResponse::new(303, Vec::new())),
            Err(RedirectError::NoLocation(303))
        );
        assert_eq!(
            target(from, &redirect(200, "https://cdn.example/x")),
            Err(RedirectError::NotRedirect(200))
        );
        assert_eq!(
            target(
                "http://127.0.0.1:1/x/",
                &redirect(307, "http://cdn.example/x")
            )
            .as_deref(),
            Ok("http://cdn.example/x")
        );
    }

    #[test]
    fn locations_resolve_against_the_read_url() {
        let base = "https://api.fast.io/current/workspace/1/storage/n/read/?token=t";
        assert_eq!(
            resolve_location(base, "https://cdn.example/x?t=1").as_deref(),
            Some("https://cdn.example/x?t=1")
        );
        assert_eq!(
            resolve_location(base, "//cdn.example/y").as_deref(),
            Some("https://cdn.example/y")
        );
        assert_eq!(
            resolve_location(base, "/blob/9").as_deref(),
            Some("https://api.fast.io/blob/9")
        );
        assert_eq!(
            resolve_location(base, "z?t=2").as_deref(),
            Some("https://api.fast.io/current/workspace/1/storage/n/read/z?t=2")
        );
        assert_eq!(resolve_location(base, "javascript:alert(1)"), None);
        assert_eq!(resolve_location(base, "a b"), None);
        assert_eq!(resolve_location(base, ""), None);
    }
}
