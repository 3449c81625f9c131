//! The response envelope and the error shape of `fastio-api.md` §2.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const API_VERSION: &str = "1.0";

/// Success: `{"result": true, "response": {...}, "current_api_version": "1.0"}`.
pub fn ok(payload: Value) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"result": true, "response": payload, "current_api_version": API_VERSION}),
    )
}

/// Success with the payload at top level, as `/upload/batch/` answers.
pub fn ok_flat(mut payload: Value) -> Response {
    if let Value::Object(m) = &mut payload {
        m.insert("result".into(), Value::Bool(true));
        m.insert(
            "current_api_version".into(),
            Value::String(API_VERSION.into()),
        );
    }
    json_response(StatusCode::OK, &payload)
}

pub fn json_response(status: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// An API failure, rendered with the documented error envelope.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub text: String,
    pub error_code: &'static str,
    pub params: Vec<Value>,
    pub extra: Option<Value>,
    /// Answer with `Connection: close`: the request's body was left unread and may still be
    /// arriving, so the connection cannot carry another request.
    pub close: bool,
}

pub type ApiResult<T = Response> = Result<T, ApiError>;

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: u32,
        error_code: &'static str,
        text: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            text: text.into(),
            error_code,
            params: Vec::new(),
            extra: None,
            close: false,
        }
    }
    pub fn invalid(text: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 1605, "APP_INVALID_INPUT", text)
    }
    /// A parameter that failed validation, listed in `error.params[]`.
    pub fn invalid_param(name: &str, expected: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut e = Self::invalid(message.clone());
        e.params.push(json!({"name": name, "kind": "invalid", "code": 1605, "message": message, "expected_type": expected}));
        e
    }
    pub fn missing(name: &str) -> Self {
        Self::missing_all(&[name])
    }
    /// Several required parameters are absent: each is listed in `error.params[]`.
    pub fn missing_all(names: &[&str]) -> Self {
        let list = names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut e = Self::invalid(if names.len() == 1 {
            format!("The parameter {list} is required.")
        } else {
            format!("The parameters {list} are required.")
        });
        for name in names {
            let message = format!("The parameter '{name}' is required.");
            e.params.push(json!({"name": name, "kind": "missing", "code": 1605, "message": message, "expected_type": "string"}));
        }
        e
    }
    pub fn not_found(text: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, 1609, "APP_NOT_FOUND", text)
    }
    pub fn conflict(text: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, 1660, "APP_CONFLICT", text)
    }
    pub fn denied(text: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, 1680, "APP_ACCESS_DENIED", text)
    }
    /// Missing or unknown bearer token. The code is this server's choice (the reference
    /// documents the 401 status, not a code).
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            1650,
            "APP_AUTH_INVALID",
            "Authentication is required: send a valid 'Authorization: Bearer' token.",
        )
    }
    pub fn unknown_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            9992,
            "APP_ROUTE_NOT_FOUND",
            "The requested route does not exist.",
        )
    }
    pub fn rate_limited(text: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            1671,
            "APP_RATE_LIMITED",
            text,
        )
    }
    pub fn too_large(text: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            1605,
            "APP_PAYLOAD_TOO_LARGE",
            text,
        )
    }
    pub fn upload_invalid(text: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            10507,
            "APP_UPLOAD_ID_INVALID",
            text,
        )
    }
    pub fn upload_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            10508,
            "APP_UPLOAD_NOT_FOUND",
            "The upload session does not exist.",
        )
    }
    pub fn crc_mismatch(text: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            10778,
            "APP_CRC32C_MISMATCH",
            text,
        )
    }
    pub fn crc_conflict(text: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, 10779, "APP_CRC32C_CONFLICT", text)
    }
    pub fn internal(text: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            1650,
            "APP_INTERNAL",
            text,
        )
    }
    /// A name or value whose bytes are not UTF-8: refused rather than stored with U+FFFD.
    pub fn not_utf8(name: Option<&str>) -> Self {
        match name {
            Some(n) => Self::invalid_param(n, "string", format!("'{n}' is not valid UTF-8.")),
            None => Self::invalid("A parameter name is not valid UTF-8."),
        }
    }
    /// Marks the answer as the connection's last (see [`ApiError::close`]).
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }
    pub fn with_extra(mut self, v: Value) -> Self {
        self.extra = Some(v);
        self
    }

    pub fn render(&self, resource: &str) -> Response {
        let mut err = json!({
            "code": self.code,
            "text": self.text,
            "error_code": self.error_code,
            "resource": resource,
            "params": self.params,
        });
        if let (Some(Value::Object(extra)), Value::Object(m)) = (&self.extra, &mut err) {
            for (k, v) in extra {
                m.insert(k.clone(), v.clone());
            }
        }
        let mut r = json_response(
            self.status,
            &json!({"result": false, "error": err, "current_api_version": API_VERSION}),
        );
        if self.close {
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        r
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::internal("A storage error occurred.")
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        tracing::error!(error = %e, "i/o error");
        ApiError::internal("A storage error occurred.")
    }
}
