//! Walks a unified search: its buckets (`files`, `metadata`, `comments`)
//! come back in one answer but page on their own, each with its own offset,
//! `has_more` and health (fastio_cli src/api/search.rs:1-40,
//! src/output/mod.rs:664-695 @96b1551).
//!
//! Each request asks every bucket for the page after the last one it gave;
//! a bucket that is finished is asked from where it ended (so it answers
//! nothing new) and whatever it sends is not reported again. A bucket whose
//! `status` is `degraded` is reported and its walk ends there: its results
//! may be partial, and asking again would only repeat them.

use serde_json::{Value, json};

use super::{Page, PageError, Walk};
use crate::api::{BucketPage, Call, Client};
use crate::decode::models::flag_value;
use crate::decode::{ApiError, ErrorKind};
use crate::http::{HttpRequest, HttpResponse};

#[derive(Debug, Clone)]
struct Bucket {
    name: &'static str,
    next: u64,
    limit: Option<u32>,
    done: bool,
}

/// Walks a [`crate::api::SearchCall::Unified`] bucket by bucket.
#[derive(Debug, Clone)]
pub struct BucketPager {
    call: Call,
    buckets: Vec<Bucket>,
    walk: Walk,
}

impl BucketPager {
    /// A pager over a unified search; each bucket starts at the call's own
    /// offset and keeps its limit.
    pub fn new(mut call: Call) -> Result<Self, PageError> {
        let Call::Search(search) = &mut call else {
            return Err(PageError::NotPageable("search buckets"));
        };
        let mut buckets = Vec::new();
        for name in search.buckets() {
            let page = search
                .bucket_mut(name)
                .and_then(|slot| *slot)
                .unwrap_or_default();
            buckets.push(Bucket {
                name,
                next: page.offset.unwrap_or(0),
                limit: page.limit,
                done: false,
            });
        }
        Ok(BucketPager {
            call,
            buckets,
            walk: Walk::new(),
        })
    }

    /// Stops the walk with [`PageError::TooManyPages`] after `max` pages.
    #[must_use]
    pub fn with_max_pages(mut self, max: u32) -> Self {
        self.walk.max_pages = max;
        self
    }

    /// The request for the next page of every bucket still open, or `None`
    /// when all are done.
    #[must_use]
    pub fn next_request(&self, client: &Client) -> Option<Result<HttpRequest, PageError>> {
        self.walk.next(|| {
            let mut call = self.call.clone();
            if let Call::Search(search) = &mut call {
                for b in &self.buckets {
                    if let Some(slot) = search.bucket_mut(b.name) {
                        *slot = Some(BucketPage {
                            offset: Some(b.next),
                            limit: b.limit,
                        });
                    }
                }
            }
            client.build(&call).map_err(PageError::from)
        })
    }

    /// Reads an answer: the new items of each open bucket, in bucket order,
    /// each as `{"bucket", "id", "item"}` (`id` is the item's `node_id` or
    /// `comment_id`), and the buckets that answered `degraded`.
    pub fn on_response(&mut self, client: &Client, resp: &HttpResponse) -> Result<Page, PageError> {
        let page = client.decode(&self.call, resp)?;
        let bad = |message: String| -> PageError {
            ApiError::bare(ErrorKind::MalformedResponse, Some(page.status), message).into()
        };
        let mut items = Vec::new();
        let mut degraded = Vec::new();
        // Read every bucket before changing any, so a bad answer leaves the
        // walk where it was and the same request can be sent again.
        let mut advanced = Vec::with_capacity(self.buckets.len());
        for b in &self.buckets {
            if b.done {
                advanced.push((b.next, true));
                continue;
            }
            let Some(bucket) = page.value.get(b.name) else {
                // A bucket the answer leaves out has nothing (more) to give.
                advanced.push((b.next, true));
                continue;
            };
            let got = bucket
                .get("items")
                .and_then(Value::as_array)
                .ok_or_else(|| bad(format!("the {} bucket has no items array", b.name)))?;
            for item in got {
                let id = item
                    .get("node_id")
                    .or_else(|| item.get("comment_id"))
                    .or_else(|| item.get("id"))
                    .cloned()
                    .unwrap_or(Value::Null);
                items.push(json!({"bucket": b.name, "id": id, "item": item}));
            }
            let more = bucket.get("has_more").and_then(flag_value).unwrap_or(false);
            let is_degraded = bucket.get("status").and_then(Value::as_str) == Some("degraded");
            if is_degraded {
                degraded.push(b.name.to_string());
            }
            if more && got.is_empty() && !is_degraded {
                return Err(bad(format!(
                    "the {} bucket says it has more but gave no items; stopping the search",
                    b.name
                )));
            }
            advanced.push((b.next + got.len() as u64, !more || is_degraded));
        }
        for (b, (next, done)) in self.buckets.iter_mut().zip(advanced) {
            b.next = next;
            b.done = done;
        }
        self.walk.read_page();
        self.walk.done = self.buckets.iter().all(|b| b.done);
        Ok(Page {
            status: page.status,
            items,
            payload: page.value,
            done: self.walk.done,
            degraded,
        })
    }

    /// True once every bucket is done.
    pub fn is_done(&self) -> bool {
        self.walk.done
    }
}
