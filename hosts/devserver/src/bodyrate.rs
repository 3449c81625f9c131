//! A request body that must keep arriving: a client that stops sending, or trickles a byte at
//! a time, is cut off instead of holding a connection and a handler forever.
//!
//! Only time spent waiting for the client counts. While the handler is busy elsewhere (writing
//! to disk, waiting for a chunk slot) the body is not polled, no time accrues, and hyper's
//! socket buffers push back on the client as usual.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// Set once a request's body was cut off, so the answer can be a 408 whatever error the handler
/// made of the failed read. Travels in the request's extensions.
#[derive(Clone, Default)]
pub struct TimedOut(Arc<AtomicBool>);

impl TimedOut {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The error a cut-off body yields.
#[derive(Debug)]
pub struct BodyTooSlow;

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body arrived too slowly")
    }
}

impl std::error::Error for BodyTooSlow {}

/// The rule: every `window` of waiting must bring at least `min_bytes`, and at least one byte.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub window: Duration,
    pub min_bytes: u64,
}

impl Rate {
    pub fn new(window: Duration, min_rate_per_s: u64) -> Self {
        // Whole seconds and milliseconds both count, so a sub-second test window still asks
        // for a proportional share.
        let ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        let min_bytes = min_rate_per_s.saturating_mul(ms) / 1000;
        Rate {
            window,
            min_bytes: min_bytes.max(1),
        }
    }
}

pub struct RateBody<B> {
    inner: B,
    rate: Rate,
    /// Waiting time accrued in the current window.
    waited: Duration,
    /// Bytes received in the current window.
    got: u64,
    /// When the current wait began (the last poll that found nothing).
    since: Option<Instant>,
    timer: Pin<Box<Sleep>>,
    flag: TimedOut,
    failed: bool,
}

impl<B> RateBody<B> {
    pub fn new(inner: B, rate: Rate) -> (Self, TimedOut) {
        let flag = TimedOut::default();
        let body = RateBody {
            inner,
            rate,
            waited: Duration::ZERO,
            got: 0,
            since: None,
            timer: Box::pin(tokio::time::sleep(rate.window)),
            flag: flag.clone(),
            failed: false,
        };
        (body, flag)
    }

    /// Ends the wait that began at `since`, at `now`; closes the window if it is full. False
    /// when the window closed short of its bytes.
    fn account(&mut self, now: Instant) -> bool {
        if let Some(since) = self.since.take() {
            self.waited += now.saturating_duration_since(since);
        }
        if self.waited < self.rate.window {
            return true;
        }
        let enough = self.got >= self.rate.min_bytes;
        self.waited = Duration::ZERO;
        self.got = 0;
        enough
    }

    fn fail(&mut self) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.failed = true;
        self.flag.0.store(true, Ordering::Relaxed);
        Poll::Ready(Some(Err(Box::new(BodyTooSlow))))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> Body for RateBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.failed {
            return Poll::Ready(Some(Err(Box::new(BodyTooSlow))));
        }
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(d) = frame.data_ref() {
                    this.got = this.got.saturating_add(d.len() as u64);
                }
                if !this.account(Instant::now()) {
                    return this.fail();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let now = Instant::now();
                let since = *this.since.get_or_insert(now);
                // The wait so far, and how much of the window is left for it.
                let deadline = since + this.rate.window.saturating_sub(this.waited);
                if deadline <= now {
                    if !this.account(now) {
                        return this.fail();
                    }
                    // The window closed with its bytes: a fresh one starts now.
                    this.since = Some(now);
                    let next = now + this.rate.window;
                    this.timer.as_mut().reset(next);
                    let _ = this.timer.as_mut().poll(cx);
                    return Poll::Pending;
                }
                if this.timer.deadline() != deadline {
                    this.timer.as_mut().reset(deadline);
                }
                if this.timer.as_mut().poll(cx).is_ready() {
                    // Woken at the deadline: the next poll closes the window.
                    cx.waker().wake_by_ref();
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
