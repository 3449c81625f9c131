//! Walks a paged listing: the engine's pager decides every request and where
//! each page's items are; this only sends and hands the items on.

use anyhow::{Result, anyhow};

use crate::bindings::exports::fastio::core::types::ClientConfig;
use crate::describe;
use crate::engine::Engine;
use crate::http::Http;

/// Walks the listing `call_json` to its end, handing each item (JSON text)
/// to `on_item`; returns the number of pages read. A failing page ends the
/// walk with its error.
pub fn walk(
    engine: &mut Engine,
    http: &Http,
    cfg: &ClientConfig,
    call_json: &str,
    max_pages: Option<u32>,
    on_item: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<u64> {
    let mut pager = engine
        .pager(cfg, call_json, max_pages)?
        .map_err(|e| anyhow!("listing: {}", describe::error(&e)))?;
    let mut pages = 0u64;
    while let Some(req) = pager
        .next_request()?
        .map_err(|e| anyhow!("listing: {}", describe::error(&e)))?
    {
        let resp = http.send(req)?;
        let page = pager
            .on_response(&resp)?
            .map_err(|e| anyhow!("page {}: {}", pages + 1, describe::error(&e)))?;
        pages += 1;
        for item in &page.items_json {
            on_item(item)?;
        }
    }
    Ok(pages)
}
