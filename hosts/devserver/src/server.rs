//! Startup, the accept loop, and the request pipeline: faults → rate limit → auth → body → route.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use tokio::sync::{Semaphore, oneshot, watch};

use crate::body::{DRAIN_MAX, content_type, drain_stream, read_capped, refuse_declared, shareable};
use crate::bodyrate;
use crate::config::Config;
use crate::envelope::{ApiError, ApiResult};
use crate::faults::Fault;
use crate::ids;
use crate::params::Params;
use crate::routes::{self, Req};
use crate::state::{AppState, init_state};
use crate::sync::lock;

/// Fuzz targets and other callers reach the declared-length parser here.
pub use crate::body::declared_length;

/// A server started in-process. Dropping it (or calling [`RunningServer::shutdown`]) stops it.
pub struct RunningServer {
    /// `http://127.0.0.1:<port>/current/`
    pub base_url: String,
    /// The first configured (or generated) API key.
    pub api_key: String,
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    done: Option<oneshot::Receiver<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("base_url", &self.base_url)
            .field("api_key", &"[redacted]")
            .finish()
    }
}

impl RunningServer {
    /// Origin without the `/current/` suffix, for the `/_dev/` control paths.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and, for a [`spawn`]ed server, waits for its thread.
    pub fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Waits until the server task has finished (after [`RunningServer::shutdown`]).
    pub async fn stopped(&mut self) {
        if let Some(rx) = self.done.take() {
            let _ = rx.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the server on the current tokio runtime.
pub async fn start(cfg: Config) -> std::io::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(cfg.addr).await?;
    let addr = listener.local_addr()?;
    let (st, key) = init_state(cfg)?;
    let st = Arc::new(st);
    st.hooks.run();
    routes::upload::resume_after_restart(&st);
    let (tx, rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(listener, st.clone(), rx).await;
        st.hooks.stop();
        let _ = done_tx.send(());
    });
    Ok(RunningServer {
        base_url: format!("http://{addr}/current/"),
        api_key: key,
        addr,
        shutdown: Some(tx),
        thread: None,
        done: Some(done_rx),
    })
}

/// The accept loop: at most `max_connections` connections at once (a further one waits in
/// the listen backlog until a permit frees), each served by hyper with a header-read timeout
/// and a body that must keep arriving. On shutdown it stops accepting, asks every connection
/// to finish its current request, and returns once all have closed.
async fn serve(listener: tokio::net::TcpListener, st: Arc<AppState>, stop: oneshot::Receiver<()>) {
    use hyper::server::conn::http1;
    use hyper_util::rt::{TokioIo, TokioTimer};

    let max = st.cfg.max_connections.clamp(1, 1 << 20);
    let permits = Arc::new(Semaphore::new(max));
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(nonzero(st.cfg.header_read_timeout));
    let rate =
        nonzero(st.cfg.body_idle_timeout).map(|w| bodyrate::Rate::new(w, st.cfg.body_min_rate));
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => break,
            a = async {
                let permit = permits.clone().acquire_owned().await;
                (permit, listener.accept().await)
            } => a,
        };
        let (permit, stream) = match accepted {
            (Ok(p), Ok((s, _))) => (p, s),
            (_, Err(e)) => {
                // Out of descriptors and the like: pause instead of spinning on the error.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            (Err(_), _) => break,
        };
        let st = st.clone();
        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let st = st.clone();
            async move {
                let req = match rate {
                    Some(rate) => {
                        let (parts, body) = req.into_parts();
                        let (body, flag) = bodyrate::RateBody::new(body, rate);
                        let mut req = Request::from_parts(parts, Body::new(body));
                        req.extensions_mut().insert(flag);
                        req
                    }
                    None => req.map(Body::new),
                };
                Ok::<_, std::convert::Infallible>(dispatch(State(st), req).await)
            }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let mut closing = closing_rx.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => log_conn_end(r),
                _ = async { closing.wait_for(|c| *c).await.is_ok() } => {
                    conn.as_mut().graceful_shutdown();
                    log_conn_end(conn.await);
                }
            }
            drop(permit);
        });
    }
    let _ = closing_tx.send(true);
    // Every connection holds a permit until it ends: holding them all means all have ended.
    let _ = permits.acquire_many(max as u32).await;
}

fn nonzero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

fn log_conn_end(r: Result<(), hyper::Error>) {
    // Timeouts, resets and malformed requests are the client's business; debug level only.
    if let Err(e) = r {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Starts the server on its own runtime in a background thread; for synchronous callers.
pub fn spawn(cfg: Config) -> std::io::Result<RunningServer> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("fastio-devserver".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match start(cfg).await {
                    Ok(mut srv) => {
                        let done = srv.done.take();
                        let _ = ready_tx.send(Ok(srv));
                        if let Some(d) = done {
                            let _ = d.await;
                        }
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
    let mut srv = ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("server thread exited during start"))??;
    srv.thread = Some(thread);
    Ok(srv)
}

fn bearer(h: &HeaderMap) -> Option<String> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, tok) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let tok = tok.trim();
    (!tok.is_empty()).then(|| tok.to_string())
}

async fn dispatch(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let timed_out = req.extensions().get::<bodyrate::TimedOut>().cloned();
    let resource = format!("{} {}", req.method(), req.uri().path());
    let resp = route_request(st, req).await;
    match timed_out {
        // Whatever the handler made of the failed read, the client was too slow: 408, and
        // the connection goes (the rest of the body is still on its way).
        Some(t) if t.is_set() => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            1605,
            "APP_REQUEST_TIMEOUT",
            "The request body arrived too slowly.",
        )
        .closing()
        .render(&resource),
        _ => resp,
    }
}

async fn route_request(st: Arc<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let resource = format!("{} {}", parts.method, path);
    if path == "/_dev" || path.starts_with("/_dev/") {
        if let Err(e) = refuse_declared(&parts.headers, routes::dev::BODY_MAX as u64) {
            return e.render(&resource);
        }
        return crate::routes::dev::handle(&st, &parts.method, &path, body)
            .await
            .unwrap_or_else(|e| e.render(&resource));
    }
    let decision = lock(&st.faults).decide(&path);
    if decision.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
    }
    match decision.fault {
        Some(Fault::Drop) => return dropped_response(),
        Some(Fault::Redirect) => {
            // A relative Location, so the client resolves it against what it asked for.
            let target = parts
                .uri
                .path_and_query()
                .map_or_else(|| path.clone(), |pq| pq.as_str().to_string());
            return Response::builder()
                .status(StatusCode::TEMPORARY_REDIRECT)
                .header("location", target)
                .body(Body::empty())
                .unwrap_or_else(|_| dropped_response());
        }
        Some(Fault::Stall(ms)) => {
            // The body stays unread while it is held, so a client writing it
            // blocks once the socket buffers fill, as with a hung peer.
            let held = body;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            drop(held);
            return dropped_response();
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let e = if code == 429 {
                ApiError::rate_limited("Injected fault: rate limited.")
            } else {
                ApiError::new(status, 1650, "APP_INJECTED_FAULT", "Injected fault.")
            };
            let mut r = e.render(&resource);
            if code == 429 {
                let d = lock(&st.rate).take("fault", ids::now_s());
                set_rate_headers(&mut r, 0, d.max, ids::now_s() + 1);
            }
            return r;
        }
        Some(Fault::RateLimitedNoExpiry) => {
            return ApiError::rate_limited("Injected fault: rate limited, no expiry given.")
                .render(&resource);
        }
        _ => {}
    }
    let token = bearer(&parts.headers);
    let rd = lock(&st.rate).take(token.as_deref().unwrap_or("anonymous"), ids::now_s());
    let mut resp = if rd.allowed {
        let corrupt = decision.fault == Some(Fault::CorruptChunk);
        match handle(&st, parts, body, token, corrupt).await {
            Ok(r) => r,
            Err(e) => e.render(&resource),
        }
    } else {
        ApiError::rate_limited("Rate limit exceeded; retry after x-ve-limit-expires.")
            .render(&resource)
    };
    set_rate_headers(&mut resp, rd.avail, rd.max, rd.expires);
    if decision.fault == Some(Fault::Truncate) {
        return truncate(resp).await;
    }
    resp
}

fn set_rate_headers(r: &mut Response, avail: u64, max: u64, expires: i64) {
    let h = r.headers_mut();
    h.insert("x-ve-limit-avail", HeaderValue::from(avail));
    h.insert("x-ve-limit-max", HeaderValue::from(max));
    h.insert("x-ve-limit-expires", HeaderValue::from(expires));
}

/// A response whose body fails at once: hyper aborts the connection, so the client sees a
/// dropped connection instead of an answer.
fn dropped_response() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("injected connection drop"))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(1024u64));
    r
}

/// Sends the headers with the full length and half of the body, then fails the connection.
async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(bytes.len().max(1) as u64),
    );
    let stream = futures_util::stream::iter(vec![
        Ok::<Bytes, std::io::Error>(half),
        Err(std::io::Error::other("injected truncation")),
    ]);
    Response::from_parts(parts, Body::from_stream(stream))
}

async fn handle(
    st: &Arc<AppState>,
    parts: axum::http::request::Parts,
    body: Body,
    token: Option<String>,
    corrupt: bool,
) -> ApiResult {
    let path = parts.uri.path();
    let rest = if path == "/current" {
        ""
    } else if let Some(r) = path.strip_prefix("/current/") {
        r
    } else {
        return Err(ApiError::unknown_route());
    };
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            // '+' stays literal in paths.
            crate::params::decode_component(s.as_bytes(), false)
                .ok_or_else(|| ApiError::invalid("A path segment is not valid UTF-8."))
        })
        .collect::<Result<_, _>>()?;
    let mut params = Params::new(&parts.method, parts.uri.query())?;
    if !routes::known_prefix(&segs) {
        return Err(ApiError::unknown_route());
    }
    // A visitor's share access token (password or guest auth) reads that share, nothing else.
    let visitor = |t: &str| {
        parts.method == axum::http::Method::GET
            && matches!(segs.as_slice(), [s, id, ..] if s == "share" && st.share_access_valid(t, id))
    };
    let authed = token
        .as_deref()
        .is_some_and(|t| st.key_valid(t) || visitor(t));
    if !authed && routes::needs_auth(&parts.method, &segs, &params) {
        return Err(ApiError::unauthorized());
    }
    let ct = content_type(&parts.headers);
    if let Err(e) = refuse_declared(
        &parts.headers,
        routes::body_limit(&st.cfg, &parts.method, &segs, &ct),
    ) {
        let mut e = e;
        if !e.close {
            let mut stream = body.into_data_stream();
            e.close = !drain_stream(&mut stream, DRAIN_MAX as u64).await;
        }
        return Err(e);
    }
    let streaming = routes::is_streaming(&parts.method, &segs, &ct);
    let mut shared = None;
    let body = if streaming {
        let (proxy, inner) = shareable(body);
        shared = Some(inner);
        Some(proxy)
    } else {
        read_small_body(body, &ct, &mut params, st.cfg.max_form_body, &st.blobs).await?;
        None
    };
    let mut req = Req {
        method: parts.method.clone(),
        segs,
        params,
        headers: parts.headers,
        body: Mutex::new(body),
        content_type: ct,
        corrupt,
        authed,
    };
    let mut out = routes::route(st, &mut req).await;
    drop(req);
    // An answer that closes the connection needs no draining: the client is not expected to
    // finish sending. Otherwise what the handler left unread is drained first; a body that
    // does not end that way closes the connection after the answer.
    if let Err(e) = &mut out
        && !e.close
        && let Some(inner) = shared
    {
        let mut stream = inner.lock().await;
        let cap = st.cfg.max_chunk_size.max(st.cfg.max_single_upload_size);
        e.close = !drain_stream(&mut *stream, cap).await;
    }
    out
}

/// Reads a non-upload body into the request's body parameters.
async fn read_small_body(
    body: Body,
    ct: &str,
    params: &mut Params,
    cap: usize,
    blobs: &crate::store::blobs::Blobs,
) -> Result<(), ApiError> {
    let bytes = read_capped(body, cap).await?;
    if bytes.is_empty() {
        return Ok(());
    }
    if ct.starts_with("application/json") {
        params.body_mut().add_json(&bytes)?;
    } else if ct.starts_with("multipart/form-data") {
        // The same bounded, UTF-8-checked reader as uploads; parts with a filename carry
        // nothing a non-upload route reads, so they are read and dropped.
        let whole = bytes.len() as u64;
        routes::multipart::read(
            Body::from(bytes),
            ct,
            blobs,
            params,
            crate::params::Source::Body,
            |_, has_filename| {
                if has_filename {
                    routes::multipart::Part::Skip
                } else {
                    routes::multipart::Part::Text
                }
            },
            0,
            whole,
        )
        .await?;
    } else {
        params.body_mut().add_urlencoded(&bytes)?;
    }
    Ok(())
}
