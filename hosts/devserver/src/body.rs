//! Request bodies read within their limits: the declared length checked before any byte is
//! read, bounded reads, and draining what a handler left unread so the client sees the answer
//! instead of a reset connection.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use bytes::Bytes;

use crate::envelope::ApiError;

/// The `Content-Type` with its media type lowercased (media types are case-insensitive) and its
/// parameters kept verbatim: a multipart boundary is case-sensitive and must match the body.
pub(crate) fn content_type(h: &HeaderMap) -> String {
    let raw = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    match raw.split_once(';') {
        Some((media, rest)) => format!("{};{rest}", media.trim().to_ascii_lowercase()),
        None => raw.to_ascii_lowercase(),
    }
}

/// The declared `Content-Length`, if any. (hyper has already refused one that is not a number.)
pub fn declared_length(h: &HeaderMap) -> Option<u64> {
    h.get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A 413 at once, before any of the body is read, when the declared length is over `limit`:
/// waiting for a body that will be refused anyway only holds the connection.
pub(crate) fn refuse_declared(h: &HeaderMap, limit: u64) -> Result<(), ApiError> {
    match declared_length(h) {
        Some(n) if n > limit => Err(refuse_length(
            ApiError::too_large(format!(
                "The declared body of {n} bytes exceeds this route's limit of {limit} bytes."
            )),
            n,
        )),
        _ => Ok(()),
    }
}

/// A refusal of a body of `declared` bytes. A large one closes the connection after the
/// answer (the body may still be on its way, and is not waited for); a small one, at most
/// [`DRAIN_MAX`], is read and dropped first, since closing with unread bytes in the socket
/// makes the kernel reset the connection, and the client, still sending, would see the
/// reset instead of the 413.
pub(crate) fn refuse_length(e: ApiError, declared: u64) -> ApiError {
    if declared > DRAIN_MAX as u64 {
        e.closing()
    } else {
        e
    }
}

/// How much of an over-cap body is still read (and dropped) before the 413, so a client that
/// is still sending sees the answer instead of a reset connection.
pub(crate) const DRAIN_MAX: usize = 1024 * 1024;

/// The whole body if it fits in `cap`, else a 413 once the rest (up to [`DRAIN_MAX`], for at
/// most two seconds) has been read and dropped.
pub(crate) async fn read_capped(body: Body, cap: usize) -> Result<Bytes, ApiError> {
    use futures_util::StreamExt;
    let too_large = || ApiError::too_large(format!("The request body exceeds {cap} bytes."));
    let mut stream = body.into_data_stream();
    let mut buf = bytes::BytesMut::new();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|_| ApiError::invalid("The request body could not be read."))?;
        if buf.len() + piece.len() > cap {
            let mut drained = piece.len();
            let drain = async {
                while drained <= DRAIN_MAX {
                    match stream.next().await {
                        Some(Ok(p)) => drained += p.len(),
                        _ => break,
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
            return Err(too_large());
        }
        buf.extend_from_slice(&piece);
    }
    Ok(buf.freeze())
}

/// Reads and discards a body that was refused before it was read, so the client gets the
/// error response instead of a reset while it is still sending. Bounded: it stops past `cap`
/// bytes, after a second without a byte, or after 30 s. True when the body ended, so the
/// connection can stay open; otherwise the answer closes it.
pub(crate) async fn drain_stream<S, E>(stream: &mut S, cap: u64) -> bool
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
{
    use futures_util::StreamExt;
    let mut seen = 0u64;
    let read = async {
        loop {
            match tokio::time::timeout(Duration::from_secs(1), stream.next()).await {
                Ok(Some(Ok(b))) => {
                    seen += b.len() as u64;
                    if seen > cap {
                        return false;
                    }
                }
                Ok(None) => return true,
                Ok(Some(Err(_))) | Err(_) => return false,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .unwrap_or(false)
}

pub(crate) type SharedBody = Arc<tokio::sync::Mutex<axum::body::BodyDataStream>>;

/// Gives the handler a body that reads through a shared stream, so whatever the handler
/// leaves unread (it refused the request early or stopped at a size limit) can be drained
/// afterwards.
pub(crate) fn shareable(body: Body) -> (Body, SharedBody) {
    use futures_util::TryStreamExt;
    let inner: SharedBody = Arc::new(tokio::sync::Mutex::new(body.into_data_stream()));
    let proxy = futures_util::stream::unfold(inner.clone(), |s| async move {
        let next = s.lock().await.try_next().await;
        match next {
            Ok(Some(b)) => Some((Ok(b), s)),
            Ok(None) => None,
            Err(e) => Some((Err(e), s)),
        }
    });
    (Body::from_stream(proxy), inner)
}
