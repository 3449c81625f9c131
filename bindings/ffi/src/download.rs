//! The verified download, wrapped for the FFI.

use std::sync::{Arc, Mutex, MutexGuard};

use fastio_core::download::{Download as CoreDownload, DownloadAction as CoreAction, DownloadSpec};

use crate::error::{FastioError, Result, usage};
use crate::http::{CoreClient, Request, Response};
use crate::surface::Fed;
use crate::upload::{Target, retry_policy};

/// What to download.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DownloadRequest {
    pub target: Target,
    pub node_id: String,
    #[uniffi(default = None)]
    pub version_id: Option<String>,
    /// Fail when the server reports no hash for the file (off by default,
    /// as in the core: a file with a hash is always verified).
    #[uniffi(default = false)]
    pub require_hash: bool,
}

/// Retries and deadlines of a download; `None` keeps the default.
#[derive(Debug, Clone, PartialEq, Eq, Default, uniffi::Record)]
pub struct DownloadOptions {
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    #[uniffi(default = None)]
    pub backoff_base_ms: Option<u64>,
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<u64>,
    #[uniffi(default = None)]
    pub seed: Option<u64>,
}

/// The next thing the host must do for a download. A failure comes back as
/// an error from `next_action`; what was written must then be discarded.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum DownloadAction {
    /// Send this request. For the file body itself, pass the head with an
    /// empty body to `on_response`, then the body to `on_data`, then `on_end`.
    Send {
        id: u64,
        request: Request,
        /// True for the file body itself: stream it through `on_data`.
        streams_body: bool,
    },
    Wait {
        until_ms: u64,
    },
    Progress {
        bytes: u64,
        total: Option<u64>,
    },
    /// Every byte arrived and matched the server's digest (`checked_*`).
    Done {
        node_id: String,
        size: u64,
        sha256: String,
        crc32c: String,
        checked_algo: Option<String>,
        checked_hex: Option<String>,
    },
}

/// A download driven by the host.
#[derive(uniffi::Object)]
pub struct Download {
    inner: Mutex<CoreDownload>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Download")
    }
}

impl Download {
    fn lock(&self) -> MutexGuard<'_, CoreDownload> {
        // See `Upload::lock`: a poisoned lock is recovered rather than propagated as a panic.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl Download {
    #[uniffi::constructor]
    pub fn new(
        client: Arc<CoreClient>,
        request: DownloadRequest,
        options: DownloadOptions,
    ) -> Arc<Self> {
        let spec = DownloadSpec {
            profile: request.target.into(),
            node_id: request.node_id,
            version_id: request.version_id,
            require_hash: request.require_hash,
        };
        let retry = retry_policy(options.max_attempts, options.backoff_base_ms, None);
        let mut d = CoreDownload::new(
            client.inner.clone(),
            spec,
            retry,
            options.seed.unwrap_or(0x5EED),
        );
        if let Some(ms) = options.request_timeout_ms {
            d.set_request_timeout_ms(ms);
        }
        Arc::new(Download {
            inner: Mutex::new(d),
        })
    }

    pub fn next_action(&self, now_ms: u64) -> Result<Option<DownloadAction>> {
        let action = self.lock().next_action(now_ms);
        Ok(match action {
            None => None,
            Some(CoreAction::Send {
                id,
                request,
                stream_response,
            }) => Some(DownloadAction::Send {
                id,
                request: Request::from(&request),
                streams_body: stream_response,
            }),
            Some(CoreAction::Wait { until_ms }) => Some(DownloadAction::Wait { until_ms }),
            Some(CoreAction::Progress { bytes, total }) => {
                Some(DownloadAction::Progress { bytes, total })
            }
            Some(CoreAction::Done(d)) => {
                let (checked_algo, checked_hex) = match d.checked {
                    Some((a, h)) => (Some(a), Some(h)),
                    None => (None, None),
                };
                Some(DownloadAction::Done {
                    node_id: d.node_id,
                    size: d.size,
                    sha256: d.sha256,
                    crc32c: d.crc32c,
                    checked_algo,
                    checked_hex,
                })
            }
            Some(CoreAction::Failed(e)) => return Err(FastioError::from(e)),
            Some(_) => {
                return Err(usage(
                    "the core asked for an action this binding does not know",
                ));
            }
        })
    }

    pub fn on_response(&self, id: u64, response: Response, now_ms: u64) -> Result<Fed> {
        Ok(self
            .lock()
            .on_response(id, &response.into(), now_ms)?
            .into())
    }

    pub fn on_data(&self, id: u64, data: &[u8]) -> Result<Fed> {
        Ok(self.lock().on_data(id, data)?.into())
    }

    pub fn on_end(&self, id: u64) -> Result<Fed> {
        Ok(self.lock().on_end(id)?.into())
    }

    pub fn on_transport_error(&self, id: u64, message: String, now_ms: u64) -> Result<Fed> {
        Ok(self.lock().on_transport_error(id, &message, now_ms)?.into())
    }

    pub fn on_timeout(&self, now_ms: u64) {
        self.lock().on_timeout(now_ms)
    }
}
