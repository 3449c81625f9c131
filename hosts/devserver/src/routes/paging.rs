//! `limit`/`offset` pagination of whole lists, as the reference's list endpoints answer it.

use serde_json::{Value, json};

use crate::envelope::ApiError;
use crate::params::Params;

/// `limit` (default 100, max 500) and `offset`, as the reference's default pagination.
pub fn paging(p: &Params) -> Result<(u64, u64), ApiError> {
    let limit = p.u64("limit")?.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_param(
            "limit",
            "integer",
            "'limit' must be between 1 and 500.",
        ));
    }
    Ok((limit, p.u64("offset")?.unwrap_or(0)))
}

pub fn page(items: Vec<Value>, limit: u64, offset: u64) -> (Vec<Value>, Value) {
    let total = items.len() as u64;
    let out: Vec<Value> = items
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    let has_more = offset + (out.len() as u64) < total;
    (
        out,
        json!({"total": total, "limit": limit, "offset": offset, "has_more": has_more}),
    )
}
