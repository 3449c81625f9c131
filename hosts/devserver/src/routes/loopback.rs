//! The one kind of URL this server reaches out to: `http://` on the loopback interface. Web
//! imports fetch from it and webhooks deliver to it, so a test server never talks to the
//! outside world.

pub fn loopback_http(url: &str) -> Option<axum::http::Uri> {
    let uri: axum::http::Uri = url.parse().ok()?;
    if uri.scheme_str() != Some("http") {
        return None;
    }
    let host = uri.host()?;
    let ok = host == "localhost"
        || host == "[::1]"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    ok.then_some(uri)
}

pub fn is_loopback_url(url: &str) -> bool {
    loopback_http(url).is_some()
}
