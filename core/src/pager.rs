//! Sans-IO pagers: each yields the next request and reads the page that comes
//! back, so a host walks a listing without knowing how it pages.
//!
//! Two schemes exist: `limit`/`offset` with `pagination.has_more` (most
//! listings) and the storage listing's `cursor`.

use serde_json::Value;

use crate::api::{
    BuildError, Call, Client, EventsCall, OrgsCall, SharesCall, StorageCall, UploadCall,
};
use crate::decode::{ApiError, Decoded, ErrorKind, models::next_cursor};
use crate::http::{HttpRequest, HttpResponse};

/// A pager's failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// The call cannot be paged this way.
    #[error("this call is not paged with {0}")]
    NotPageable(&'static str),
    /// Building the next request failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The page's response was an error (boxed: an error keeps the raw
    /// detail of the answer and is much larger than the other variants).
    #[error(transparent)]
    Api(Box<ApiError>),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(Box::new(e))
    }
}

fn set_offset(call: &mut Call, new_limit: u32, new_offset: u64) -> bool {
    let (limit, offset) = match call {
        Call::Orgs(
            OrgsCall::List { limit, offset }
            | OrgsCall::ListExternal { limit, offset }
            | OrgsCall::ListWorkspaces { limit, offset, .. }
            | OrgsCall::AllWorkspaces { limit, offset },
        )
        | Call::Storage(StorageCall::Search { limit, offset, .. })
        | Call::Shares(SharesCall::List { limit, offset })
        | Call::Events(EventsCall::Search { limit, offset, .. })
        | Call::Upload(UploadCall::WebUploadList { limit, offset, .. }) => (limit, offset),
        _ => return false,
    };
    *limit = Some(new_limit);
    *offset = Some(new_offset);
    true
}

/// The number of items on a page: the length of its first array (or map,
/// for search results) at the top level.
fn page_len(payload: &Value) -> usize {
    let Some(obj) = payload.as_object() else {
        return payload.as_array().map_or(0, Vec::len);
    };
    obj.iter()
        .filter(|(k, _)| k.as_str() != "pagination")
        .find_map(|(_, v)| match v {
            Value::Array(a) => Some(a.len()),
            Value::Object(m) if !m.is_empty() && m.values().all(Value::is_object) => Some(m.len()),
            _ => None,
        })
        .unwrap_or(0)
}

/// Walks a `limit`/`offset` listing.
#[derive(Debug, Clone)]
pub struct OffsetPager {
    call: Call,
    limit: u32,
    offset: u64,
    done: bool,
}

impl OffsetPager {
    /// A pager over `call` with pages of `limit` items.
    pub fn new(mut call: Call, limit: u32) -> Result<Self, PageError> {
        if !set_offset(&mut call, limit, 0) {
            return Err(PageError::NotPageable("limit/offset"));
        }
        Ok(OffsetPager {
            call,
            limit,
            offset: 0,
            done: false,
        })
    }

    /// The request for the next page, or `None` when the listing is done.
    #[must_use]
    pub fn next_request(&self, client: &Client) -> Option<Result<HttpRequest, PageError>> {
        (!self.done).then(|| client.build(&self.call).map_err(PageError::from))
    }

    /// Reads a page's response and advances. Returns the page's payload.
    pub fn on_response(
        &mut self,
        client: &Client,
        resp: &HttpResponse,
    ) -> Result<Decoded<Value>, PageError> {
        let page = client.decode(&self.call, resp)?;
        let n = page_len(&page.value);
        let has_more = page
            .value
            .get("pagination")
            .and_then(|p| p.get("has_more"))
            .and_then(crate::decode::models::flag_value);
        // Without has_more, a short page is the last one.
        let more = has_more.unwrap_or(n as u64 >= self.limit as u64) && n > 0;
        if more {
            self.offset += n as u64;
            set_offset(&mut self.call, self.limit, self.offset);
        } else {
            self.done = true;
        }
        Ok(page)
    }

    /// True once the last page was read.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// Walks a storage listing by cursor.
#[derive(Debug, Clone)]
pub struct CursorPager {
    call: Call,
    seen: Vec<String>,
    done: bool,
}

impl CursorPager {
    /// A pager over a [`StorageCall::List`].
    pub fn new(call: Call) -> Result<Self, PageError> {
        if !matches!(call, Call::Storage(StorageCall::List { .. })) {
            return Err(PageError::NotPageable("cursor"));
        }
        Ok(CursorPager {
            call,
            seen: Vec::new(),
            done: false,
        })
    }

    /// The request for the next page, or `None` when the listing is done.
    #[must_use]
    pub fn next_request(&self, client: &Client) -> Option<Result<HttpRequest, PageError>> {
        (!self.done).then(|| client.build(&self.call).map_err(PageError::from))
    }

    /// Reads a page's response and advances. A cursor the server already
    /// gave is an error rather than an endless walk.
    pub fn on_response(
        &mut self,
        client: &Client,
        resp: &HttpResponse,
    ) -> Result<Decoded<Value>, PageError> {
        let page = client.decode(&self.call, resp)?;
        match next_cursor(&page.value) {
            Some(c) if self.seen.contains(&c) => {
                self.done = true;
                return Err(ApiError::bare(
                    ErrorKind::MalformedResponse,
                    Some(page.status),
                    format!("the server repeated cursor {c:?}; stopping the listing"),
                )
                .into());
            }
            Some(c) => {
                if let Call::Storage(StorageCall::List { cursor, .. }) = &mut self.call {
                    *cursor = Some(c.clone());
                }
                self.seen.push(c);
            }
            None => self.done = true,
        }
        Ok(page)
    }

    /// True once the last page was read.
    pub fn is_done(&self) -> bool {
        self.done
    }
}
