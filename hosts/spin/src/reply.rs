//! Answers: a status, a JSON body and headers, written to the
//! `response-outparam`. Every error is `{"error": code, "message": text}`
//! plus fields that help the caller act.

use serde_json::{Value, json};
use wasip2::http::types::{Fields, OutgoingBody, OutgoingResponse, ResponseOutparam};

/// An answer to send.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body (`None`: empty body).
    pub body: Option<Value>,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    /// An answer without a body.
    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            body: None,
            headers: Vec::new(),
        }
    }

    /// An error answer.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Reply::json(status, json!({ "error": code, "message": message.into() }))
    }

    /// Adds a field to an error or JSON body.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        if let Some(Value::Object(m)) = &mut self.body {
            m.insert(key.to_string(), value);
        }
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Bad configuration: 500 naming the variable.
    pub fn config(e: &crate::config::ConfigError) -> Self {
        Reply::error(
            500,
            "gateway_misconfigured",
            format!("the gateway is misconfigured: {e}"),
        )
        .with("variable", Value::String(e.variable.to_string()))
    }

    /// Sends the answer. Failures are the client's problem (it went away):
    /// nothing more can be done, so they are ignored.
    pub fn send(self, out: ResponseOutparam) {
        let body_bytes = self
            .body
            .as_ref()
            .map(|v| serde_json::to_vec(v).unwrap_or_default());
        let headers = Fields::new();
        if body_bytes.is_some() {
            let _ = headers.append("content-type", b"application/json");
        }
        let _ = headers.append(
            "content-length",
            body_bytes
                .as_ref()
                .map_or(0, Vec::len)
                .to_string()
                .as_bytes(),
        );
        for (k, v) in &self.headers {
            let _ = headers.append(k, v.as_bytes());
        }
        let resp = OutgoingResponse::new(headers);
        let _ = resp.set_status_code(self.status);
        let Ok(body) = resp.body() else { return };
        ResponseOutparam::set(out, Ok(resp));
        if let Some(bytes) = body_bytes
            && let Ok(stream) = body.write()
        {
            // Small JSON: the blocking helper takes 4096 bytes per call.
            for piece in bytes.chunks(4096) {
                if stream.blocking_write_and_flush(piece).is_err() {
                    break;
                }
            }
            drop(stream);
        }
        let _ = OutgoingBody::finish(body, None);
    }
}
