//! fastio-core as a WebAssembly component: thin adapters between the WIT
//! types in `wit/` and the core. Every decision is the core's; these modules
//! only convert values. One module per exported interface; the conversions
//! several of them share live here.

// The generated bindings carry their own unsafe glue.
#![deny(unsafe_op_in_unsafe_fn)]

mod hashing;
mod policy;
mod requests;
mod uploads;
mod webhooks;

use fastio_core::api::Client;
use fastio_core::config::{ChunkParams as CoreChunkParams, ClientConfig, Credential as CoreCred};
use fastio_core::decode::{ApiError as CoreApiError, Retry as CoreRetry};
use fastio_core::http::{
    HttpRequest as CoreRequest, HttpResponse as CoreResponse, Method as CoreMethod, Segment,
};
use fastio_core::secret::Secret;

wit_bindgen::generate!({
    path: "../../wit",
    world: "core",
});

use exports::fastio::core::types::{
    ApiError, BodySegment, ChunkParams, ClientConfig as WitConfig, Credential, ExternalPart,
    Header, HttpRequest, HttpResponse, Method, Retry,
};

struct Component;
export!(Component);

/// The core's configuration for a WIT one, unchecked: `Client::new` (or a
/// machine built from the configuration) validates it.
fn client_config(cfg: WitConfig) -> ClientConfig {
    let mut c = ClientConfig {
        base_url: cfg.base_url,
        credential: cfg.credential.map(|c| match c {
            Credential::ApiKey(k) => CoreCred::ApiKey(Secret::new(k)),
            Credential::Jwt(k) => CoreCred::Jwt(Secret::new(k)),
            Credential::Oauth(k) => CoreCred::OAuth(Secret::new(k)),
        }),
        chunk_params: match cfg.chunk_params {
            ChunkParams::Query => CoreChunkParams::Query,
            ChunkParams::Form => CoreChunkParams::Form,
        },
        ..ClientConfig::default()
    };
    if let Some(ua) = cfg.user_agent {
        c.user_agent = ua;
    }
    if let Some(max) = cfg.max_response_bytes {
        c.max_response_bytes = usize::try_from(max).unwrap_or(usize::MAX);
    }
    c
}

fn client(cfg: WitConfig) -> Result<Client, String> {
    Client::new(client_config(cfg)).map_err(|e| e.to_string())
}

fn method(m: CoreMethod) -> Method {
    match m {
        CoreMethod::Get => Method::Get,
        CoreMethod::Post => Method::Post,
        CoreMethod::Put => Method::Put,
        CoreMethod::Patch => Method::Patch,
        CoreMethod::Delete => Method::Delete,
        CoreMethod::Head => Method::Head,
        // `Method` is non-exhaustive; a new method would surface as GET in
        // an old component rather than a trap.
        _ => Method::Get,
    }
}

fn request(r: CoreRequest) -> HttpRequest {
    let content_length = (!r.body.is_streamed()).then(|| r.body.content_length());
    let body = r
        .body
        .segments()
        .into_iter()
        .map(|s| match s {
            Segment::Owned(b) => BodySegment::Bytes(b),
            Segment::Borrowed(b) => BodySegment::Bytes(b.to_vec()),
            Segment::External { index, len } => BodySegment::External(ExternalPart {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                len,
            }),
        })
        .collect();
    HttpRequest {
        method: method(r.method),
        url: r.url,
        headers: r
            .headers
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect(),
        body,
        content_length,
    }
}

fn response(r: HttpResponse) -> CoreResponse {
    CoreResponse {
        status: r.status,
        headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
        body: r.body,
    }
}

fn headers(pairs: Vec<(String, String)>) -> Vec<Header> {
    pairs
        .into_iter()
        .map(|(name, value)| Header { name, value })
        .collect()
}

fn api_error(e: &CoreApiError) -> ApiError {
    let kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    ApiError {
        kind,
        status: e.status,
        code: e.code.clone(),
        error_code: e.error_code.clone(),
        message: e.message.clone(),
        retry: match e.retry {
            CoreRetry::Never => Retry::Never,
            CoreRetry::Backoff => Retry::Backoff,
            CoreRetry::At { unix_s } => Retry::At(unix_s),
            CoreRetry::After { seconds } => Retry::After(seconds),
            _ => Retry::Never,
        },
        detail_json: serde_json::to_string(e).unwrap_or_default(),
    }
}
