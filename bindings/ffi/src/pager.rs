//! A paged listing walked by the core: the host sends what `next_request`
//! gives, feeds the answer to `on_response`, and stops at `None`. Which
//! scheme a listing pages by (cursor or `limit`/`offset`), when it ends and
//! where a page's items are is the core's decision.

use std::sync::{Arc, Mutex, MutexGuard};

use fastio_core::api::Call;
use fastio_core::http::HttpResponse;
use fastio_core::pager::Pager as CorePager;

use crate::error::{FastioError, Result, invalid};
use crate::http::{CoreClient, Request, Response};

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Page {
    /// The HTTP status (2xx).
    pub status: u16,
    /// Each item as JSON, in order.
    pub items_json: Vec<String>,
    /// The whole payload as JSON, `pagination` and all.
    pub payload_json: String,
    /// True when this was the last page.
    pub done: bool,
    /// A unified search's buckets that answered `degraded` (partial
    /// results; their walk ended); empty for other listings.
    pub degraded: Vec<String>,
}

/// Walks a listing given as a call (the JSON form of `tests/vectors/requests`).
#[derive(uniffi::Object)]
pub struct Pager {
    client: Arc<CoreClient>,
    inner: Mutex<CorePager>,
}

impl std::fmt::Debug for Pager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager").finish_non_exhaustive()
    }
}

impl Pager {
    fn lock(&self) -> MutexGuard<'_, CorePager> {
        // See `Upload::lock`: a poisoned lock is recovered rather than propagated as a panic.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl Pager {
    /// A pager over `call_json`; a call that is not a listing is
    /// `InvalidInput` with kind `not_pageable`. `max_pages` bounds the walk
    /// (the core's default otherwise): past it, `next_request` is
    /// `Transfer` with kind `page_limit`.
    #[uniffi::constructor]
    pub fn new(
        client: Arc<CoreClient>,
        call_json: String,
        max_pages: Option<u32>,
    ) -> Result<Arc<Self>> {
        let call: Call = serde_json::from_str(&call_json)
            .map_err(|e| invalid("invalid_json", format!("call: {e}")))?;
        let mut pager = CorePager::new(call)?;
        if let Some(max) = max_pages {
            pager = pager.with_max_pages(max);
        }
        Ok(Arc::new(Pager {
            client,
            inner: Mutex::new(pager),
        }))
    }

    /// The request for the next page; `None` once the last page was read.
    pub fn next_request(&self) -> Result<Option<Request>> {
        match self.lock().next_request(&self.client.inner) {
            None => Ok(None),
            Some(r) => Ok(Some(Request::from(&r?))),
        }
    }

    /// Reads the answer to the last request and advances. An error answer
    /// is `Api` with its retry decision; the same request may be sent again.
    pub fn on_response(&self, response: Response) -> Result<Page> {
        let resp: HttpResponse = response.into();
        let page = self.lock().on_response(&self.client.inner, &resp)?;
        let text = |v: &serde_json::Value| {
            serde_json::to_string(v)
                .map_err(|e| invalid("invalid_argument", format!("page does not serialise: {e}")))
        };
        Ok(Page {
            status: page.status,
            items_json: page.items.iter().map(text).collect::<Result<_>>()?,
            payload_json: text(&page.payload)?,
            done: page.done,
            degraded: page.degraded,
        })
    }

    /// True once the last page was read.
    pub fn is_done(&self) -> bool {
        self.lock().is_done()
    }
}

impl From<fastio_core::pager::PageError> for FastioError {
    fn from(e: fastio_core::pager::PageError) -> Self {
        use fastio_core::pager::PageError;
        match e {
            PageError::Build(b) => b.into(),
            PageError::Api(a) => (*a).into(),
            PageError::NotPageable(_) => invalid("not_pageable", e.to_string()),
            PageError::TooManyPages { .. } => FastioError::Transfer {
                kind: "page_limit".into(),
                detail: e.to_string(),
            },
            other => invalid("invalid_argument", other.to_string()),
        }
    }
}
