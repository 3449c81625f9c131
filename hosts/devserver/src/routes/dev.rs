//! The control paths outside `/current/`: fault configuration and the rate-limit budget.
//! They take JSON and need no token (the server binds to loopback by default).

use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::envelope::{ApiError, ApiResult, json_response};
use crate::faults::{FaultConfig, FaultState};
use crate::state::AppState;
use crate::sync::lock;

/// Largest body the control paths take.
pub const BODY_MAX: usize = 1024 * 1024;

pub async fn handle(st: &AppState, m: &Method, path: &str, body: Body) -> ApiResult {
    let path = path.trim_end_matches('/');
    let bytes = axum::body::to_bytes(body, BODY_MAX)
        .await
        .map_err(|_| ApiError::too_large("The body exceeds 1 MiB."))?;
    match (m.as_str(), path) {
        ("GET", "/_dev/faults") => Ok(faults_view(st)),
        ("POST" | "PUT", "/_dev/faults") => {
            let cfg: FaultConfig = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::invalid(format!("Invalid fault configuration: {e}")))?;
            cfg.check()
                .map_err(|e| ApiError::invalid(format!("Invalid fault configuration: {e}")))?;
            *lock(&st.faults) = FaultState::new(cfg, st.cfg.seed);
            Ok(faults_view(st))
        }
        ("DELETE", "/_dev/faults") => {
            *lock(&st.faults) = FaultState::new(FaultConfig::default(), st.cfg.seed);
            Ok(faults_view(st))
        }
        ("POST", "/_dev/ratelimit") => {
            let v: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|_| ApiError::invalid("Expected JSON {\"max\": N, \"window_s\": N}."))?;
            let max = v["max"].as_u64().ok_or_else(|| ApiError::missing("max"))?;
            let window = v["window_s"].as_u64().unwrap_or(st.cfg.rate_limit_window_s);
            lock(&st.rate).set_budget(max, window);
            Ok(json_response(
                StatusCode::OK,
                &json!({"max": max, "window_s": window}),
            ))
        }
        ("GET", "/_dev/health") => Ok(json_response(StatusCode::OK, &json!({"ok": true}))),
        _ => Err(ApiError::unknown_route()),
    }
}

fn faults_view(st: &AppState) -> Response {
    let f = lock(&st.faults);
    json_response(
        StatusCode::OK,
        &json!({"config": f.config(), "requests_seen": f.counter(), "injected": f.log}),
    )
}
