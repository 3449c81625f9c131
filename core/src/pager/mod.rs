//! Sans-IO pagers: each yields the next request and reads the page that comes
//! back, so a host walks a listing without knowing how it pages.
//!
//! Three schemes exist: `limit`/`offset` with `pagination.has_more` (most
//! listings), the storage listing's `cursor`, and a unified search's
//! buckets, each paged on its own ([`BucketPager`]).

mod buckets;

pub use buckets::BucketPager;

use std::collections::BTreeSet;

use serde_json::Value;

use crate::api::{
    BillingCall, BuildError, Call, Client, CommentsCall, EventsCall, FileSharesCall, ImportsCall,
    MembersCall, MetadataCall, OrgsCall, SharesCall, StorageCall, UploadCall, WorkspacesCall,
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
    /// The listing went on past the pager's page bound: a server that
    /// always answers "more" cannot keep a host walking forever.
    #[error("the listing did not end within {max} pages")]
    TooManyPages {
        /// The bound ([`DEFAULT_MAX_PAGES`] unless set).
        max: u32,
    },
}

/// Pages a pager reads before it stops with [`PageError::TooManyPages`]:
/// at the API's largest page (500 items) that is five million items.
pub const DEFAULT_MAX_PAGES: u32 = 10_000;

/// The longest cursor kept: each one is remembered to catch a server that
/// repeats itself, so their size is bounded too.
pub const MAX_CURSOR_LEN: usize = 4_096;

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(Box::new(e))
    }
}

/// The call's `limit` and `offset` slots, when it pages that way.
fn offset_slots(call: &mut Call) -> Option<(&mut Option<u32>, &mut Option<u64>)> {
    match call {
        Call::Orgs(
            OrgsCall::List { limit, offset }
            | OrgsCall::ListExternal { limit, offset }
            | OrgsCall::ListWorkspaces { limit, offset, .. }
            | OrgsCall::AllWorkspaces { limit, offset }
            | OrgsCall::Available { limit, offset }
            | OrgsCall::All { limit, offset },
        )
        | Call::Storage(StorageCall::Search { limit, offset, .. })
        | Call::Shares(SharesCall::List { limit, offset })
        | Call::Events(EventsCall::Search { limit, offset, .. })
        | Call::Upload(UploadCall::WebUploadList { limit, offset, .. })
        | Call::Members(
            MembersCall::List { limit, offset, .. }
            | MembersCall::UserInvitations { limit, offset, .. },
        )
        | Call::Comments(
            CommentsCall::List { limit, offset, .. } | CommentsCall::ListAll { limit, offset, .. },
        )
        | Call::FileShares(FileSharesCall::List { limit, offset, .. })
        | Call::Workspaces(
            WorkspacesCall::ListShares { limit, offset, .. }
            | WorkspacesCall::Dashboard { limit, offset, .. },
        )
        | Call::Billing(BillingCall::Members { limit, offset, .. })
        | Call::Imports(
            ImportsCall::Identities { limit, offset, .. }
            | ImportsCall::Sources { limit, offset, .. }
            | ImportsCall::Jobs { limit, offset, .. }
            | ImportsCall::Writebacks { limit, offset, .. },
        )
        | Call::Metadata(
            MetadataCall::TemplateNodeList { limit, offset, .. }
            | MetadataCall::Eligible { limit, offset, .. }
            | MetadataCall::Search { limit, offset, .. },
        ) => Some((limit, offset)),
        _ => None,
    }
}

fn set_offset(call: &mut Call, new_limit: u32, new_offset: u64) -> bool {
    let Some((limit, offset)) = offset_slots(call) else {
        return false;
    };
    *limit = Some(new_limit);
    *offset = Some(new_offset);
    true
}

/// Top-level keys that hold a page's bookkeeping, never its items.
const PAGE_META_KEYS: &[&str] = &["pagination", "meta", "links", "result"];

/// A page's items, found where the official CLI finds a listing's rows
/// (MediaFire/fastio_cli@96b1551 src/output/mod.rs:512-560): the first
/// top-level array, or the `items` array of a top-level object, bookkeeping
/// keys aside; failing that, the values of a map of objects (search results
/// keyed by id).
fn page_items(payload: &Value) -> Vec<&Value> {
    let Some(obj) = payload.as_object() else {
        return payload
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
    };
    let fields = || {
        obj.iter()
            .filter(|(k, _)| !PAGE_META_KEYS.contains(&k.as_str()))
            .map(|(_, v)| v)
    };
    let array = fields().find_map(|v| match v {
        Value::Array(a) => Some(a),
        Value::Object(m) => m.get("items").and_then(Value::as_array),
        _ => None,
    });
    if let Some(a) = array {
        return a.iter().collect();
    }
    fields()
        .find_map(|v| match v {
            Value::Object(m) if !m.is_empty() && m.values().all(Value::is_object) => {
                Some(m.values().collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Where a walk stands: whether it is over, and how many pages it has read
/// against its bound. Both pagers keep one.
#[derive(Debug, Clone, Copy)]
struct Walk {
    done: bool,
    pages: u32,
    max_pages: u32,
}

impl Walk {
    fn new() -> Self {
        Walk {
            done: false,
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// The next request, unless the walk is over or has read its bound of
    /// pages: the page that reached the bound is still returned whole, the
    /// next request is the error.
    fn next(
        &self,
        build: impl FnOnce() -> Result<HttpRequest, PageError>,
    ) -> Option<Result<HttpRequest, PageError>> {
        if self.done {
            None
        } else if self.pages >= self.max_pages {
            Some(Err(PageError::TooManyPages {
                max: self.max_pages,
            }))
        } else {
            Some(build())
        }
    }

    fn read_page(&mut self) {
        self.pages = self.pages.saturating_add(1);
    }
}

/// Walks a `limit`/`offset` listing.
#[derive(Debug, Clone)]
pub struct OffsetPager {
    call: Call,
    limit: u32,
    offset: u64,
    walk: Walk,
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
            walk: Walk::new(),
        })
    }

    /// Stops the walk with [`PageError::TooManyPages`] after `max` pages.
    #[must_use]
    pub fn with_max_pages(mut self, max: u32) -> Self {
        self.walk.max_pages = max;
        self
    }

    /// The request for the next page, or `None` when the listing is done.
    #[must_use]
    pub fn next_request(&self, client: &Client) -> Option<Result<HttpRequest, PageError>> {
        self.walk
            .next(|| client.build(&self.call).map_err(PageError::from))
    }

    /// Reads a page's response and advances. Returns the page's payload.
    pub fn on_response(
        &mut self,
        client: &Client,
        resp: &HttpResponse,
    ) -> Result<Decoded<Value>, PageError> {
        let page = client.decode(&self.call, resp)?;
        self.walk.read_page();
        let n = page_items(&page.value).len();
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
            self.walk.done = true;
        }
        Ok(page)
    }

    /// True once the last page was read.
    pub fn is_done(&self) -> bool {
        self.walk.done
    }
}

/// The call's cursor slot, when it pages by cursor.
fn cursor_slot(call: &mut Call) -> Option<&mut Option<String>> {
    match call {
        Call::Storage(StorageCall::List { cursor, .. } | StorageCall::Recent { cursor, .. }) => {
            Some(cursor)
        }
        _ => None,
    }
}

/// Walks a storage listing by cursor.
#[derive(Debug, Clone)]
pub struct CursorPager {
    call: Call,
    seen: BTreeSet<String>,
    walk: Walk,
}

impl CursorPager {
    /// A pager over a [`StorageCall::List`] or [`StorageCall::Recent`].
    pub fn new(mut call: Call) -> Result<Self, PageError> {
        if cursor_slot(&mut call).is_none() {
            return Err(PageError::NotPageable("cursor"));
        }
        Ok(CursorPager {
            call,
            seen: BTreeSet::new(),
            walk: Walk::new(),
        })
    }

    /// Stops the walk with [`PageError::TooManyPages`] after `max` pages.
    #[must_use]
    pub fn with_max_pages(mut self, max: u32) -> Self {
        self.walk.max_pages = max;
        self
    }

    /// The request for the next page, or `None` when the listing is done.
    #[must_use]
    pub fn next_request(&self, client: &Client) -> Option<Result<HttpRequest, PageError>> {
        self.walk
            .next(|| client.build(&self.call).map_err(PageError::from))
    }

    /// Reads a page's response and advances. A cursor the server already
    /// gave is an error rather than an endless walk.
    pub fn on_response(
        &mut self,
        client: &Client,
        resp: &HttpResponse,
    ) -> Result<Decoded<Value>, PageError> {
        let page = client.decode(&self.call, resp)?;
        self.walk.read_page();
        match next_cursor(&page.value) {
            Some(c) if c.len() > MAX_CURSOR_LEN => {
                self.walk.done = true;
                return Err(ApiError::bare(
                    ErrorKind::MalformedResponse,
                    Some(page.status),
                    format!(
                        "a cursor of {} bytes is over the {MAX_CURSOR_LEN}-byte bound",
                        c.len()
                    ),
                )
                .into());
            }
            Some(c) if self.seen.contains(&c) => {
                self.walk.done = true;
                return Err(ApiError::bare(
                    ErrorKind::MalformedResponse,
                    Some(page.status),
                    format!("the server repeated cursor {c:?}; stopping the listing"),
                )
                .into());
            }
            Some(c) => {
                if let Some(cursor) = cursor_slot(&mut self.call) {
                    *cursor = Some(c.clone());
                }
                self.seen.insert(c);
            }
            None => self.walk.done = true,
        }
        Ok(page)
    }

    /// True once the last page was read.
    pub fn is_done(&self) -> bool {
        self.walk.done
    }
}

/// Items per page when neither the call nor the host names a size.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;

/// One page a [`Pager`] read.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The page's items, in order (see [`Pager::on_response`]).
    pub items: Vec<Value>,
    /// The whole payload, `pagination` and all.
    pub payload: Value,
    /// True when this was the last page.
    pub done: bool,
    /// The buckets of a unified search that answered `degraded` on this
    /// page (their results may be partial; their walk ends); empty for other
    /// listings.
    pub degraded: Vec<String>,
}

/// Walks any paged listing: the call chooses the scheme (the storage
/// listing's and recent files' cursor, `limit`/`offset` for the rest), so a host holds one
/// type and calls [`next_request`](Pager::next_request) until it is `None`.
#[derive(Debug, Clone)]
pub enum Pager {
    /// A `limit`/`offset` listing.
    Offset(OffsetPager),
    /// The storage listing.
    Cursor(CursorPager),
    /// A unified search.
    Buckets(BucketPager),
}

impl Pager {
    /// A pager over `call`; an offset listing reads pages of the call's own
    /// `limit`, else [`DEFAULT_PAGE_LIMIT`]. A call that is not a listing is
    /// [`PageError::NotPageable`].
    pub fn new(mut call: Call) -> Result<Self, PageError> {
        if cursor_slot(&mut call).is_some() {
            return CursorPager::new(call).map(Pager::Cursor);
        }
        if matches!(call, Call::Search(_)) {
            return BucketPager::new(call).map(Pager::Buckets);
        }
        let Some((limit, _)) = offset_slots(&mut call) else {
            return Err(PageError::NotPageable("limit/offset or cursor"));
        };
        let limit = match *limit {
            Some(0) | None => DEFAULT_PAGE_LIMIT,
            Some(n) => n,
        };
        OffsetPager::new(call, limit).map(Pager::Offset)
    }

    /// Stops the walk with [`PageError::TooManyPages`] after `max` pages.
    #[must_use]
    pub fn with_max_pages(self, max: u32) -> Self {
        match self {
            Pager::Offset(p) => Pager::Offset(p.with_max_pages(max)),
            Pager::Cursor(p) => Pager::Cursor(p.with_max_pages(max)),
            Pager::Buckets(p) => Pager::Buckets(p.with_max_pages(max)),
        }
    }

    /// The request for the next page, or `None` when the listing is done:
    /// send it and hand the answer to [`on_response`](Pager::on_response),
    /// then call again.
    #[must_use]
    pub fn next_request(&self, client: &Client) -> Option<Result<HttpRequest, PageError>> {
        match self {
            Pager::Offset(p) => p.next_request(client),
            Pager::Cursor(p) => p.next_request(client),
            Pager::Buckets(p) => p.next_request(client),
        }
    }

    /// Reads a page's response and advances. The page's items are its first
    /// top-level array (or the values of its first map of objects, for
    /// search results keyed by id).
    pub fn on_response(&mut self, client: &Client, resp: &HttpResponse) -> Result<Page, PageError> {
        let page = match self {
            Pager::Offset(p) => p.on_response(client, resp)?,
            Pager::Cursor(p) => p.on_response(client, resp)?,
            Pager::Buckets(p) => return p.on_response(client, resp),
        };
        let items = page_items(&page.value).into_iter().cloned().collect();
        Ok(Page {
            status: page.status,
            items,
            payload: page.value,
            done: self.is_done(),
            degraded: Vec::new(),
        })
    }

    /// True once the last page was read.
    pub fn is_done(&self) -> bool {
        match self {
            Pager::Offset(p) => p.is_done(),
            Pager::Cursor(p) => p.is_done(),
            Pager::Buckets(p) => p.is_done(),
        }
    }
}
