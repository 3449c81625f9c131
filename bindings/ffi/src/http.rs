//! Requests, responses and the client that builds them, as plain records.

use std::sync::Arc;

use fastio_core::api::{Call, Client};
use fastio_core::config::{ClientConfig, Credential};
use fastio_core::decode::{DecodeOptions, NamedDecodeError, decode_named};
use fastio_core::http::{HttpRequest, HttpResponse, Segment};
use fastio_core::secret::Secret;

use crate::error::{FastioError, Result, invalid};

/// One header.
// Debug and Display are exported so that printing a header, a request or an
// action in Python, Kotlin or Swift goes through the redacting impls below
// rather than the generated field dump, which would show bearer tokens.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl std::fmt::Display for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core's one rule of which headers are secret.
        if fastio_core::redact::is_secret_header(&self.name) {
            write!(f, "{}: [redacted]", self.name)
        } else {
            write!(f, "{}: {}", self.name, self.value)
        }
    }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// One piece of a request body, written in order.
#[derive(Clone, PartialEq, Eq, uniffi::Enum)]
pub enum BodyPart {
    /// These bytes.
    Bytes { data: Vec<u8> },
    /// `len` bytes the host holds itself (its external buffer `index`).
    External { index: u32, len: u64 },
    /// The upload source's `len` bytes at `offset`, which the host read for
    /// the upload's `Read` of that range (only with `host_keeps_chunks`).
    Source { offset: u64, len: u64 },
}

impl std::fmt::Debug for BodyPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyPart::Bytes { data } => write!(f, "Bytes({} bytes)", data.len()),
            BodyPart::External { index, len } => write!(f, "External({index}, {len} bytes)"),
            BodyPart::Source { offset, len } => write!(f, "Source({len} bytes at {offset})"),
        }
    }
}

/// A request to send. The body is the concatenation of `body`; a streamed
/// body (`streamed`) has unknown length and comes from the host's source.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    pub body: Vec<BodyPart>,
    pub content_length: u64,
    pub streamed: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a download token in its query: show the path only.
        let path = self.url.split('?').next().unwrap_or_default();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &path)
            .field("headers", &self.headers)
            .field("content_length", &self.content_length)
            .field("streamed", &self.streamed)
            .finish()
    }
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl From<&HttpRequest> for Request {
    fn from(r: &HttpRequest) -> Self {
        let body = r
            .body
            .segments()
            .into_iter()
            .map(|s| match s {
                Segment::Owned(data) => BodyPart::Bytes { data },
                Segment::Borrowed(b) => BodyPart::Bytes { data: b.to_vec() },
                Segment::External { index, len } => BodyPart::External {
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    len,
                },
                Segment::Source { offset, len } => BodyPart::Source { offset, len },
            })
            .collect();
        Request {
            method: r.method.as_str().into(),
            url: r.url.clone(),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| Header {
                    name: k.clone(),
                    value: v.clone(),
                })
                .collect(),
            body,
            content_length: r.body.content_length(),
            streamed: r.body.is_streamed(),
        }
    }
}

/// A response received: status, headers, body bytes.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl From<Response> for HttpResponse {
    fn from(r: Response) -> Self {
        HttpResponse {
            status: r.status,
            headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: r.body,
        }
    }
}

/// The client configuration: where requests go and how they authenticate.
/// Immutable; make another for another credential.
#[derive(uniffi::Object)]
pub struct CoreClient {
    pub(crate) inner: Client,
}

impl std::fmt::Debug for CoreClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoreClient")
            .field("base_url", &self.inner.config().base_url)
            .finish_non_exhaustive()
    }
}

#[uniffi::export]
impl CoreClient {
    /// A client for `base_url` (such as `https://api.fast.io/current/`),
    /// authenticated with an API key when one is given.
    #[uniffi::constructor]
    pub fn new(
        base_url: String,
        api_key: Option<String>,
        user_agent: Option<String>,
    ) -> Result<Arc<Self>> {
        let mut cfg = ClientConfig {
            credential: api_key.map(|k| Credential::ApiKey(Secret::new(k))),
            ..ClientConfig::default()
        };
        if let Some(ua) = user_agent {
            cfg.user_agent = ua;
        }
        cfg.set_base_url(&base_url)
            .map_err(|e| invalid("config", e.to_string()))?;
        Self::with(cfg)
    }

    /// A client from the core's JSON configuration (`base_url`,
    /// `credential: {kind, value}`, `user_agent`, `chunk_params`,
    /// `max_response_bytes`).
    #[uniffi::constructor]
    pub fn from_config_json(config_json: String) -> Result<Arc<Self>> {
        let cfg: ClientConfig = serde_json::from_str(&config_json)
            // serde's message may quote the input, which holds the credential.
            .map_err(|e| {
                invalid(
                    "invalid_json",
                    format!(
                        "client configuration: line {} column {}",
                        e.line(),
                        e.column()
                    ),
                )
            })?;
        Self::with(cfg)
    }

    /// The request for a call given as JSON: `{"<group>": {"op": "...", ...}}`
    /// as in `tests/vectors/requests`.
    pub fn build(&self, call_json: String) -> Result<Request> {
        let call: Call = serde_json::from_str(&call_json)
            .map_err(|e| invalid("invalid_json", format!("call: {e}")))?;
        Ok(Request::from(&self.inner.build(&call)?))
    }

    /// True when the call may be sent twice with the effect of once.
    pub fn is_resendable(&self, call_json: String) -> Result<bool> {
        let call: Call = serde_json::from_str(&call_json)
            .map_err(|e| invalid("invalid_json", format!("call: {e}")))?;
        Ok(call.is_resendable())
    }

    /// The request that follows a 3xx answered to a request for `from_url`:
    /// a GET to its `Location` with no credential (a File Share preview).
    /// A downgrade to HTTP, a missing or unusable `Location` or a non-3xx is
    /// refused with kind `redirect`.
    pub fn follow_redirect(&self, from_url: String, response: Response) -> Result<Request> {
        self.inner
            .follow_redirect(&from_url, &HttpResponse::from(response))
            .map(|r| Request::from(&r))
            .map_err(|e| invalid("redirect", e.to_string()))
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> String {
        self.inner.config().base_url.clone()
    }
}

impl CoreClient {
    fn with(cfg: ClientConfig) -> Result<Arc<Self>> {
        let inner = Client::new(cfg).map_err(|e| invalid("config", e.to_string()))?;
        Ok(Arc::new(CoreClient { inner }))
    }
}

/// Rate-limit figures of a response.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RateLimit {
    pub avail: Option<u64>,
    pub max: Option<u64>,
    pub expires: Option<u64>,
}

/// A decoded success: the payload (or model) as JSON, and the rate limits.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Decoded {
    pub status: u16,
    pub value_json: String,
    pub rate_limit: RateLimit,
}

/// Decodes a response as `target`: `payload` (the unwrapped JSON) or a model
/// name (`user`, `node_details`, `upload_session`, `ai_message`, `ai_cancel`, …). An error
/// response becomes [`crate::FastioError::Api`] with its retry decision;
/// `resendable` says whether the call may be retried blindly.
#[uniffi::export]
pub fn decode_response(
    target: String,
    response: Response,
    resendable: bool,
    max_body_bytes: Option<u64>,
) -> Result<Decoded> {
    let mut opts = DecodeOptions {
        resendable,
        ..DecodeOptions::default()
    };
    if let Some(m) = max_body_bytes {
        opts.max_body_bytes = usize::try_from(m).unwrap_or(usize::MAX);
    }
    let resp: HttpResponse = response.into();
    // The table of names is the core's (`DECODE_TARGETS`).
    let d = decode_named(&target, &resp, &opts).map_err(|e| match e {
        NamedDecodeError::Api(e) => FastioError::from(*e),
        unknown => invalid("invalid_argument", unknown.to_string()),
    })?;
    let value_json = serde_json::to_string(&d.value)
        .map_err(|e| invalid("invalid_argument", format!("model does not serialise: {e}")))?;
    Ok(Decoded {
        status: d.status,
        value_json,
        rate_limit: RateLimit {
            avail: d.rate_limit.avail,
            max: d.rate_limit.max,
            expires: d.rate_limit.expires,
        },
    })
}
