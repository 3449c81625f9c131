//! One upstream request at a time, for the routes that make a few calls in
//! sequence (the chunk relay, webhook forwarding).

use fastio_core::http::{HttpRequest, HttpResponse};
use wasip2::io::poll::{Pollable, poll};

use crate::net::Net;

/// Longest any single upstream call may take, milliseconds.
const CALL_TIMEOUT_MS: u64 = 120_000;

/// Sends `req` and waits for its answer (or a transport error).
pub fn exchange(req: &HttpRequest) -> Result<HttpResponse, String> {
    exchange_for(req, CALL_TIMEOUT_MS)
}

/// As [`exchange`], waiting at most `timeout_ms` (plus what a long poll
/// itself asks for: the caller passes that in).
pub fn exchange_for(req: &HttpRequest, timeout_ms: u64) -> Result<HttpResponse, String> {
    let mut net = Net::new();
    net.start(0, req)?;
    let deadline =
        wasip2::clocks::monotonic_clock::now().saturating_add(timeout_ms.saturating_mul(1_000_000));
    // Each turn moves the request or ends at the deadline; the bound keeps
    // a misbehaving stream from spinning forever.
    for _ in 0..10_000_000u32 {
        let mut sources: Vec<(Pollable, Option<crate::net::Token>)> = net
            .pollables()
            .into_iter()
            .map(|(p, t)| (p, Some(t)))
            .collect();
        sources.push((
            wasip2::clocks::monotonic_clock::subscribe_instant(deadline),
            None,
        ));
        let refs: Vec<&Pollable> = sources.iter().map(|(p, _)| p).collect();
        let ready: Vec<Option<crate::net::Token>> = poll(&refs)
            .into_iter()
            .filter_map(|i| sources.get(i as usize).map(|(_, t)| *t))
            .collect();
        // Pollables are children of the streams they watch: gone before a
        // finished request is dropped.
        drop(refs);
        drop(sources);
        for t in ready {
            match Some(t) {
                Some(Some(t)) => {
                    if let Some((_, outcome)) = net.advance(t) {
                        return outcome;
                    }
                }
                Some(None) => return Err("no answer before the deadline".into()),
                None => {}
            }
        }
    }
    Err("the request made no progress".into())
}
