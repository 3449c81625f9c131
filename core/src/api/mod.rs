//! The request engine: every call a Fast.io client makes, as plain data, and
//! the exact HTTP request each one becomes.
//!
//! A [`Call`] names an endpoint and its parameters; [`Client::build`] turns it
//! into an [`HttpRequest`] encoded the way `fastio-api.md` documents that
//! endpoint (form, query, multipart or JSON; trailing slashes; bulk ids joined
//! with unencoded commas; the lock token and a share delete's confirmation in
//! a DELETE's form body). Where the official Fast.io CLI shows what the
//! service reads, it decides (`docs/contract.md` lists every endpoint and its
//! evidence). Calls deserialise from JSON, so every binding can share the
//! same golden vectors.

mod account;
mod ai;
mod apps;
mod auth;
mod billing;
mod comments;
mod events;
mod fileshares;
mod imports;
mod members;
mod metadata;
mod orgs;
mod path;
mod search;
mod security;
mod shares;
mod storage;
mod subscriptions;
mod transfer;
mod upload;
mod workspaces;

pub use account::AccountCall;
pub use ai::AiCall;
pub use apps::{AppsCall, MAX_HOWTO_CONTEXT, MAX_HOWTO_QUESTION};
pub use auth::{AuthCall, PkceError, pkce_challenge};
pub use billing::BillingCall;
pub use comments::{CommentsCall, MAX_COMMENT_TARGETS};
pub use events::{EventFilters, EventScope, EventsCall, MAX_ACTIVITY_WAIT_S};
pub use fileshares::{
    ACCESS_OPTIONS, CAPABILITIES, Change, Expiry, FileSharesCall, Grantee, MAX_EXPIRES_S,
    PASSWORD_HEADER,
};
pub use imports::ImportsCall;
pub use members::{Entity, MembersCall};
pub use metadata::{
    MAX_METADATA_DETAILS_IDS, MAX_METADATA_QUERY, MAX_METADATA_SEARCH_LIMIT, MAX_TEMPLATE_NODE_IDS,
    MetadataCall, MetadataKeys,
};
pub use orgs::{OrgFields, OrgsCall};
pub use search::{BucketPage, MAX_SEARCH_LEN, SEARCH_BUCKETS, SearchCall};
pub use security::{SecurityCall, TWO_FACTOR_CHANNELS};
pub use shares::{ShareFields, SharesCall};
pub use storage::StorageCall;
pub use subscriptions::SubscriptionsCall;
pub use transfer::TransferCall;
pub use upload::{BatchFile, MAX_DETAILS_WAIT_S, SINGLE_REQUEST_MAX, UploadCall};
pub use workspaces::WorkspacesCall;

use base64::Engine;
use serde::Deserialize;

use crate::config::{ClientConfig, ConfigError};
use crate::http::{Body, HttpRequest, Method, encode_form};
use crate::secret::Secret;

/// Where a storage, share or AI call applies: a workspace or a share.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// A workspace, by id.
    Workspace(String),
    /// A share, by id.
    Share(String),
}

impl Profile {
    /// `workspace` or `share`, as `profile_type` fields want it.
    pub fn kind(&self) -> &'static str {
        match self {
            Profile::Workspace(_) => "workspace",
            Profile::Share(_) => "share",
        }
    }

    /// The profile id.
    pub fn id(&self) -> &str {
        match self {
            Profile::Workspace(id) | Profile::Share(id) => id,
        }
    }
}

/// One API call, grouped as the reference groups them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Call {
    /// Sign-in, tokens, API keys, OAuth.
    Auth(AuthCall),
    /// Orgs and workspaces.
    Orgs(OrgsCall),
    /// Files and folders.
    Storage(StorageCall),
    /// Uploads: single, chunked, stream, batch, web import.
    Upload(UploadCall),
    /// Shares.
    Shares(SharesCall),
    /// AI chat.
    Ai(AiCall),
    /// Events and activity.
    Events(EventsCall),
    /// Outbound webhook subscriptions.
    Subscriptions(SubscriptionsCall),
    /// Ownership transfer.
    Transfer(TransferCall),
    /// Members and invitations of workspaces, shares and orgs.
    Members(MembersCall),
    /// Comments on files.
    Comments(CommentsCall),
    /// File Shares: durable links to one file.
    #[serde(rename = "fileshares")]
    FileShares(FileSharesCall),
    /// Unified search over files, metadata and comments.
    Search(SearchCall),
    /// Workspace management: delete, archive, limits, shares, imports, jobs.
    Workspaces(WorkspacesCall),
    /// The caller's account and the service's health.
    Account(AccountCall),
    /// Metadata templates, values, extraction and search.
    Metadata(MetadataCall),
    /// Two-factor management, OAuth sessions, sign-up, e-mail and password flows.
    Security(SecurityCall),
    /// An org's billing.
    Billing(BillingCall),
    /// Cloud import: providers, identities, sources, jobs, write-backs.
    Imports(ImportsCall),
    /// Apps and the how-to assistant.
    Apps(AppsCall),
}

impl Call {
    /// True when the call may be sent again after a 502, 503 or 504 or a
    /// transport failure: the retry class of every envelope call, creates
    /// included, as the official client retries them (fastio_cli
    /// src/client.rs:41-44, 1946-2021 @96b1551). Only a stream send is not,
    /// since its bytes went out as they came. 500 and 501 are never retried
    /// whatever this says. The upload and download machines apply their own
    /// per-step rules on top (§2 item 7 of the contract).
    pub fn is_resendable(&self) -> bool {
        match self {
            Call::Upload(c) => c.is_resendable(),
            _ => true,
        }
    }
}

/// Why a call could not become a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// An id or path segment is empty, `.` or `..`.
    #[error("invalid {field}: {reason}")]
    InvalidId {
        /// The parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A parameter is outside what the API accepts.
    #[error("invalid {field}: {reason}")]
    InvalidParam {
        /// The parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The call needs a bearer credential and none is configured.
    #[error(
        "this call needs a bearer credential (API key, JWT or OAuth token); none is configured"
    )]
    MissingCredential,
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> BuildError {
    BuildError::InvalidParam {
        field,
        reason: reason.into(),
    }
}

/// How a request authenticates.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Auth {
    /// `Authorization: Bearer <credential>`; an error when none is configured.
    Bearer,
    /// No `Authorization` header (token-in-URL downloads, OAuth token grants).
    None,
    /// `Authorization: Bearer <credential>` when one is configured, else
    /// none (File Share consumption, which may be anonymous).
    Optional,
    /// `Authorization: Basic base64(user:password)`.
    Basic { user: String, password: Secret },
}

/// A request under construction, relative to the base URL.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Body,
    pub auth: Auth,
    /// Headers the call itself needs (a File Share password).
    pub headers: Vec<(String, String)>,
}

impl Req {
    pub fn new(method: Method, path: String) -> Self {
        Req {
            method,
            path,
            query: Vec::new(),
            body: Body::Empty,
            auth: Auth::Bearer,
            headers: Vec::new(),
        }
    }

    pub fn get(path: String) -> Self {
        Req::new(Method::Get, path)
    }

    pub fn delete(path: String) -> Self {
        Req::new(Method::Delete, path)
    }

    /// A form POST; an empty form still sends the form content type.
    pub fn post_form(path: String, fields: Vec<(String, String)>) -> Self {
        let mut r = Req::new(Method::Post, path);
        r.body = Body::Form(fields);
        r
    }

    /// A POST with a JSON body.
    pub fn post_json(path: String, body: serde_json::Value) -> Self {
        let mut r = Req::new(Method::Post, path);
        r.body = Body::Json(body);
        r
    }

    pub fn query(mut self, q: Vec<(String, String)>) -> Self {
        self.query = q;
        self
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
}

/// Ordered parameters with optional values, for forms and queries.
#[derive(Default, Debug)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn new() -> Self {
        Params(Vec::new())
    }

    pub fn put(mut self, k: &str, v: impl ToString) -> Self {
        self.0.push((k.to_string(), v.to_string()));
        self
    }

    pub fn opt<T: ToString>(mut self, k: &str, v: &Option<T>) -> Self {
        if let Some(v) = v {
            self.0.push((k.to_string(), v.to_string()));
        }
        self
    }

    pub fn opt_bool(mut self, k: &str, v: Option<bool>) -> Self {
        if let Some(v) = v {
            self.0
                .push((k.to_string(), if v { "true" } else { "false" }.into()));
        }
        self
    }

    pub fn done(self) -> Vec<(String, String)> {
        self.0
    }
}

/// Turns calls into requests and responses into results, for one configuration.
#[derive(Clone, Debug)]
pub struct Client {
    config: ClientConfig,
}

impl Client {
    /// A client for a configuration (the base URL is checked and normalised).
    pub fn new(config: ClientConfig) -> Result<Self, ConfigError> {
        Ok(Client {
            config: config.validated()?,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Replaces the bearer credential (after sign-in or a token refresh).
    pub fn set_credential(&mut self, credential: Option<crate::config::Credential>) {
        self.config.credential = credential;
    }

    /// Builds the HTTP request for a call.
    pub fn build(&self, call: &Call) -> Result<HttpRequest, BuildError> {
        let req = match call {
            Call::Auth(c) => auth::build(c)?,
            Call::Orgs(c) => orgs::build(c)?,
            Call::Storage(c) => storage::build(c)?,
            Call::Upload(c) => upload::build(c, &self.config)?,
            Call::Shares(c) => shares::build(c)?,
            Call::Ai(c) => ai::build(c)?,
            Call::Events(c) => events::build(c)?,
            Call::Subscriptions(c) => subscriptions::build(c)?,
            Call::Transfer(c) => transfer::build(c)?,
            Call::Members(c) => members::build(c)?,
            Call::Comments(c) => comments::build(c)?,
            Call::FileShares(c) => fileshares::build(c)?,
            Call::Search(c) => search::build(c)?,
            Call::Workspaces(c) => workspaces::build(c)?,
            Call::Account(c) => account::build(c)?,
            Call::Metadata(c) => metadata::build(c)?,
            Call::Security(c) => security::build(c)?,
            Call::Billing(c) => billing::build(c)?,
            Call::Imports(c) => imports::build(c)?,
            Call::Apps(c) => apps::build(c)?,
        };
        self.finish(req)
    }

    /// The request that follows a redirect answered to a request for
    /// `from`: a GET to its target without any credential (see
    /// [`crate::redirect`]). For a File Share preview, which the service
    /// answers with a redirect to a token-authorised read.
    pub fn follow_redirect(
        &self,
        from: &str,
        resp: &crate::http::HttpResponse,
    ) -> Result<HttpRequest, crate::redirect::RedirectError> {
        crate::redirect::follow(from, resp, &self.config.user_agent)
    }

    /// The absolute URL for a relative path and query.
    pub(crate) fn url(&self, path: &str, query: &[(String, String)]) -> String {
        let mut url = format!("{}{}", self.config.base_url, path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&encode_form(query));
        }
        url
    }

    pub(crate) fn finish(&self, req: Req) -> Result<HttpRequest, BuildError> {
        let mut url = self.url(&req.path, &req.query);
        if let Body::Query(fields) = &req.body {
            url.push(if req.query.is_empty() { '?' } else { '&' });
            url.push_str(&encode_form(fields));
        }
        let mut headers = Vec::with_capacity(4);
        match &req.auth {
            Auth::Bearer => {
                let cred = self
                    .config
                    .credential
                    .as_ref()
                    .ok_or(BuildError::MissingCredential)?;
                headers.push((
                    "Authorization".to_string(),
                    format!("Bearer {}", cred.token().expose()),
                ));
            }
            Auth::Optional => {
                if let Some(cred) = &self.config.credential {
                    headers.push((
                        "Authorization".to_string(),
                        format!("Bearer {}", cred.token().expose()),
                    ));
                }
            }
            Auth::None => {}
            Auth::Basic { user, password } => {
                let raw = format!("{user}:{}", password.expose());
                let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
                headers.push(("Authorization".to_string(), format!("Basic {b64}")));
            }
        }
        headers.push(("Accept".to_string(), "application/json".to_string()));
        headers.push(("User-Agent".to_string(), self.config.user_agent.clone()));
        if let Some(ct) = req.body.content_type() {
            headers.push(("Content-Type".to_string(), ct));
        }
        headers.extend(req.headers);
        Ok(HttpRequest {
            method: req.method,
            url,
            headers,
            body: req.body,
        })
    }
}
