//! Sends the requests the core builds, with one pooled ureq agent (keep-alive
//! connection reuse; cloning the agent shares the pool across threads).

use std::io::Read;
use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::bindings::exports::fastio::core::types::{
    BodySegment, Header, HttpRequest, HttpResponse, Method,
};

/// A shared HTTP client.
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

impl Http {
    /// A client that hands error statuses back as responses: the core decides
    /// what a 4xx or 5xx means.
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .max_idle_connections_per_host(16)
            .build();
        Http {
            agent: config.into(),
        }
    }

    fn build(req: &HttpRequest) -> Result<(ureq::http::Request<()>, Vec<u8>)> {
        let method = match req.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        };
        let len = req
            .content_length
            .ok_or_else(|| anyhow!("streamed request bodies are not supported by this host"))?;
        let mut body = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        for seg in &req.body {
            match seg {
                BodySegment::Bytes(b) => body.extend_from_slice(b),
                // The core's upload and download machines hold their bytes
                // inline; external parts only come from hand-built calls.
                BodySegment::External(_) => {
                    return Err(anyhow!("external body parts are not supplied by this host"));
                }
            }
        }
        let mut b = ureq::http::Request::builder().method(method).uri(&req.url);
        for h in &req.headers {
            b = b.header(&h.name, &h.value);
        }
        Ok((b.body(())?, body))
    }

    /// Sends a request and reads the whole response (API calls).
    pub fn send(&self, req: &HttpRequest) -> Result<HttpResponse> {
        let (head, body) = Self::build(req)?;
        let (parts, ()) = head.into_parts();
        let resp = self
            .agent
            .run(ureq::http::Request::from_parts(parts, body))?;
        let status = resp.status().as_u16();
        let headers = headers(resp.headers());
        let mut out = Vec::new();
        resp.into_body()
            .into_reader()
            .take(64 << 20)
            .read_to_end(&mut out)?;
        Ok(HttpResponse {
            status,
            headers,
            body: out,
        })
    }

    /// Sends a request and returns the head and a reader over the body, for
    /// downloads that stream.
    pub fn send_streaming(
        &self,
        req: &HttpRequest,
    ) -> Result<(HttpResponse, Box<dyn Read + Send>)> {
        let (head, body) = Self::build(req)?;
        let (parts, ()) = head.into_parts();
        let resp = self
            .agent
            .run(ureq::http::Request::from_parts(parts, body))?;
        let status = resp.status().as_u16();
        let headers = headers(resp.headers());
        let reader = resp.into_body().into_reader();
        Ok((
            HttpResponse {
                status,
                headers,
                body: Vec::new(),
            },
            Box::new(reader),
        ))
    }
}

fn headers(h: &ureq::http::HeaderMap) -> Vec<Header> {
    h.iter()
        .map(|(k, v)| Header {
            name: k.as_str().to_owned(),
            value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
        })
        .collect()
}
