//! Raw HTTP/1.1 over a socket, for requests no well-behaved client sends: slow headers,
//! trickled bodies, lying lengths, bytes that are not UTF-8. Every wait is bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How a raw exchange ended.
#[derive(Debug)]
pub struct Answer {
    /// The status line's code, if an answer came.
    pub status: Option<u16>,
    pub head: String,
    pub body: Vec<u8>,
    /// The server closed (or reset) the connection.
    pub closed: bool,
    /// From the first byte written to the end.
    pub elapsed: Duration,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The envelope's `error.error_code`, or "".
    pub fn error_code(&self) -> String {
        self.json()["error"]["error_code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Ended with an error status or a dropped connection, never a success or silence.
    pub fn refused(&self) -> bool {
        match self.status {
            Some(s) => s >= 400,
            None => self.closed,
        }
    }
}

pub struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    started: Instant,
    closed: bool,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect");
        s.set_write_timeout(Some(Duration::from_secs(10)))
            .expect("write timeout");
        Conn {
            s,
            buf: Vec::new(),
            started: Instant::now(),
            closed: false,
        }
    }

    /// Writes all of `b`; false once the server has gone.
    pub fn send(&mut self, b: &[u8]) -> bool {
        if self.closed {
            return false;
        }
        if self.s.write_all(b).is_err() {
            self.closed = true;
            return false;
        }
        true
    }

    /// Reads what arrives within `wait`; true once a whole answer is in or the server closed.
    pub fn poll(&mut self, wait: Duration) -> bool {
        if self.closed || self.complete() {
            return true;
        }
        let until = Instant::now() + wait;
        let mut piece = [0u8; 16 * 1024];
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let _ = self
                .s
                .set_read_timeout(Some(left.max(Duration::from_millis(1))));
            match self.s.read(&mut piece) {
                Ok(0) => {
                    self.closed = true;
                    return true;
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&piece[..n]);
                    if self.complete() {
                        return true;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false;
                }
                Err(_) => {
                    self.closed = true;
                    return true;
                }
            }
        }
    }

    /// A whole answer (headers and a `Content-Length` body) is in.
    fn complete(&self) -> bool {
        let Some(end) = find(&self.buf, b"\r\n\r\n") else {
            return false;
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
        // Interim answers (100 Continue) are not the answer.
        if head.starts_with("http/1.1 1") {
            return find(&self.buf[end + 4..], b"\r\n\r\n").is_some();
        }
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        self.buf.len() >= end + 4 + len
    }

    /// Waits up to `wait` for the answer, then reports.
    pub fn finish(mut self, wait: Duration) -> Answer {
        self.poll(wait);
        self.answer()
    }

    pub fn answer(&self) -> Answer {
        let mut buf = &self.buf[..];
        // Skip interim answers.
        while buf.starts_with(b"HTTP/1.1 1") {
            match find(buf, b"\r\n\r\n") {
                Some(e) => buf = &buf[e + 4..],
                None => break,
            }
        }
        let (head, body) = match find(buf, b"\r\n\r\n") {
            Some(e) => (
                String::from_utf8_lossy(&buf[..e]).into_owned(),
                buf[e + 4..].to_vec(),
            ),
            None => (String::from_utf8_lossy(buf).into_owned(), Vec::new()),
        };
        let status = head
            .strip_prefix("HTTP/1.1 ")
            .and_then(|r| r.get(..3))
            .and_then(|c| c.parse().ok());
        Answer {
            status,
            head,
            body,
            closed: self.closed,
            elapsed: self.started.elapsed(),
        }
    }
}

pub fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Sends `request` whole and waits up to `wait` for the answer.
pub fn exchange(addr: SocketAddr, request: &[u8], wait: Duration) -> Answer {
    let mut c = Conn::open(addr);
    c.send(request);
    c.finish(wait)
}

/// Sends `head`, then `trickle` one byte every `every`, until the server answers or closes or
/// `bound` passes; then waits briefly for a last answer.
pub fn trickle(
    addr: SocketAddr,
    head: &[u8],
    trickle: &[u8],
    every: Duration,
    bound: Duration,
) -> Answer {
    let mut c = Conn::open(addr);
    c.send(head);
    for b in trickle {
        if c.poll(every) || c.started.elapsed() > bound {
            break;
        }
        if !c.send(std::slice::from_ref(b)) {
            break;
        }
    }
    c.finish(Duration::from_secs(2))
}

/// A request head: `method target`, `Host`, the given headers, and the blank line.
pub fn head(method: &str, target: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut h = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// `head` and a body with its `Content-Length`.
pub fn request(method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut hs = headers.to_vec();
    hs.push(("Content-Length", body.len().to_string()));
    let mut r = head(method, target, &hs);
    r.extend_from_slice(body);
    r
}

/// A multipart body from raw parts: (Content-Disposition parameters, data).
pub fn multipart_raw(boundary: &str, parts: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (disposition, data) in parts {
        b.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; ").as_bytes());
        b.extend_from_slice(disposition);
        b.extend_from_slice(b"\r\n\r\n");
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    b
}

/// A `/proc/<pid>/status` figure in KiB (`VmRSS`, `VmHWM`); 0 when unreadable.
pub fn proc_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
