//! The demo's webhook receiver (part of the `fastio` program, not the
//! library): an HTTP server on 127.0.0.1 that answers 204 to each POST to
//! `/hook` and hands the delivery's headers and raw body to the demo.

use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use fastio_wasmtime::bindings::exports::fastio::core::types::Header;

/// A received delivery: headers and raw body.
pub type Delivery = (Vec<Header>, Vec<u8>);

/// Deliveries larger than this are refused with 413 rather than cut short
/// (a cut body would only fail its signature check, for a misleading reason).
const MAX_BODY: usize = 1 << 20;

/// A running receiver; dropping it stops the server.
pub struct HookReceiver {
    url: String,
    deliveries: mpsc::Receiver<Delivery>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl HookReceiver {
    /// Starts a receiver on a free port of 127.0.0.1.
    pub fn start() -> Result<Self> {
        Self::with_limit(MAX_BODY)
    }

    /// The same, refusing bodies over `max_body` bytes.
    fn with_limit(max_body: usize) -> Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        let (tx, deliveries) = mpsc::channel::<Delivery>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the webhook receiver")?;
        let listener = rt
            .block_on(async { tokio::net::TcpListener::from_std(listener) })
            .context("starting the webhook receiver")?;
        let hook = move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let headers = headers
                    .iter()
                    .map(|(name, value)| Header {
                        name: name.as_str().to_owned(),
                        value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    })
                    .collect();
                // The demo may have stopped waiting; the sender is still answered.
                let _ = tx.send((headers, body.to_vec()));
                StatusCode::NO_CONTENT
            }
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .layer(DefaultBodyLimit::max(max_body));
        std::thread::spawn(move || {
            rt.block_on(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(HookReceiver {
            url,
            deliveries,
            _stop: stop,
        })
    }

    /// The URL to subscribe.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next delivery, waiting at most `timeout`.
    pub fn next(&self, timeout: Duration) -> Result<Delivery> {
        self.deliveries
            .recv_timeout(timeout)
            .with_context(|| format!("no webhook delivery within {} s", timeout.as_secs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(url: &str, body: Vec<u8>) -> u16 {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .post(url)
            .header("webhook-id", "msg_1")
            .send(body)
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    #[test]
    fn a_delivery_arrives_whole_with_its_headers() {
        let hooks = HookReceiver::start().expect("start");
        let body = br#"{"event":"workspace_storage_file_added"}"#.to_vec();
        assert_eq!(post(hooks.url(), body.clone()), 204);
        let (headers, got) = hooks.next(Duration::from_secs(5)).expect("delivery");
        assert_eq!(got, body);
        assert!(
            headers
                .iter()
                .any(|h| h.name == "webhook-id" && h.value == "msg_1"),
            "{headers:?}"
        );
    }

    #[test]
    fn an_oversize_delivery_is_refused_not_cut_short() {
        let hooks = HookReceiver::with_limit(1000).expect("start");
        // The server may close before the client has written the rest, so
        // the client sees the 413 or a reset; either way nothing is handed on.
        let status = post(hooks.url(), vec![b'x'; 1001]);
        assert!(status == 413 || status == 0, "{status}");
        assert!(hooks.next(Duration::from_millis(300)).is_err());
        // Exactly the limit is taken.
        assert_eq!(post(hooks.url(), vec![b'y'; 1000]), 204);
        let (_, got) = hooks.next(Duration::from_secs(5)).expect("delivery");
        assert_eq!(got.len(), 1000);
    }

    #[test]
    fn the_demo_limit_takes_a_mebibyte() {
        let hooks = HookReceiver::start().expect("start");
        assert_eq!(post(hooks.url(), vec![b'z'; MAX_BODY]), 204);
        let (_, got) = hooks.next(Duration::from_secs(5)).expect("delivery");
        assert_eq!(got.len(), MAX_BODY);
    }
}
