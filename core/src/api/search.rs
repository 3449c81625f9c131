//! Unified search: one query over a workspace's or share's files, metadata
//! and comments, each bucket paged on its own (fastio_cli
//! src/api/search.rs:1-160 @96b1551). A share has no metadata bucket.

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Profile, Req, invalid};

/// The longest query, in characters (src/api/search.rs:25-26, 110-125).
pub const MAX_SEARCH_LEN: usize = 1024;

/// The buckets a unified search answers with, in the order they are walked.
pub const SEARCH_BUCKETS: &[&str] = &["files", "metadata", "comments"];

/// Where one bucket's page starts and how long it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct BucketPage {
    /// Items to skip (the service starts at 0).
    #[serde(default)]
    pub offset: Option<u64>,
    /// Items per page (the service's default is 25).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Search calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SearchCall {
    /// `GET {workspace|share}/{id}/search/?search=…` with `<bucket>_offset`
    /// and `<bucket>_limit` per bucket.
    Unified {
        /// A workspace, or a share (no metadata bucket).
        profile: Profile,
        /// The query, 1 to [`MAX_SEARCH_LEN`] characters.
        search: String,
        /// The files bucket's page.
        #[serde(default)]
        files: Option<BucketPage>,
        /// The metadata bucket's page (workspaces only).
        #[serde(default)]
        metadata: Option<BucketPage>,
        /// The comments bucket's page.
        #[serde(default)]
        comments: Option<BucketPage>,
    },
}

impl SearchCall {
    /// The page slot of one bucket, for the bucket pager.
    pub(crate) fn bucket_mut(&mut self, name: &str) -> Option<&mut Option<BucketPage>> {
        let SearchCall::Unified {
            files,
            metadata,
            comments,
            ..
        } = self;
        match name {
            "files" => Some(files),
            "metadata" => Some(metadata),
            "comments" => Some(comments),
            _ => None,
        }
    }

    /// The buckets this search can answer with.
    pub(crate) fn buckets(&self) -> &'static [&'static str] {
        let SearchCall::Unified { profile, .. } = self;
        match profile {
            Profile::Workspace(_) => SEARCH_BUCKETS,
            Profile::Share(_) => &["files", "comments"],
        }
    }
}

pub(crate) fn build(c: &SearchCall) -> Result<Req, BuildError> {
    let SearchCall::Unified {
        profile,
        search,
        files,
        metadata,
        comments,
    } = c;
    if search.trim().is_empty() {
        return Err(invalid("search", "is empty"));
    }
    let n = search.chars().count();
    if n > MAX_SEARCH_LEN {
        return Err(invalid(
            "search",
            format!("is {n} characters; at most {MAX_SEARCH_LEN}"),
        ));
    }
    if metadata.is_some() && matches!(profile, Profile::Share(_)) {
        return Err(invalid("metadata", "a share has no metadata bucket"));
    }
    let mut q = Params::new().put("search", search);
    for (name, page) in [
        ("files", files),
        ("metadata", metadata),
        ("comments", comments),
    ] {
        let Some(p) = page else { continue };
        if p.limit == Some(0) {
            return Err(invalid("limit", format!("the {name} bucket's limit is 0")));
        }
        q = q
            .opt(&format!("{name}_offset"), &p.offset)
            .opt(&format!("{name}_limit"), &p.limit);
    }
    let path = join(&[profile.kind(), &seg("profile id", profile.id())?, "search"]);
    Ok(Req::get(path).query(q.done()))
}
