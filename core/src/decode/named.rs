//! Decoding by model name: the one table of names every binding (UniFFI, the
//! WIT) exposes, so a caller in any language asks for `node_details` or
//! `upload_session` and gets the same typed reading as JSON.

use super::models::*;
use super::{ApiError, DecodeOptions, Decoded, ErrorKind, Model, decode_as};
use crate::http::HttpResponse;

/// Every name [`decode_named`] knows: `payload` (the unwrapped JSON as is)
/// and one per response model.
pub const DECODE_TARGETS: &[&str] = &[
    "payload",
    "token_check",
    "auth_token",
    "oauth_token",
    "user",
    "api_key",
    "org",
    "workspace",
    "org_list",
    "workspace_list",
    "node_details",
    "node_list",
    "read_token",
    "lock",
    "upload_session",
    "chunk_list",
    "algos",
    "upload_limits",
    "batch",
    "share",
    "ai_turn_ref",
    "ai_message",
    "ai_cancel",
    "event",
    "event_list",
    "activity",
    "webhook_subscription",
    "transfer_token",
    "fileshare",
    "fileshare_details",
    "fileshare_list",
    "fileshare_grants",
    "unified_search",
    "note_content",
];

/// Why a named decode gave no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NamedDecodeError {
    /// The name is not one of [`DECODE_TARGETS`].
    #[error("unknown decode target {0:?}")]
    UnknownTarget(String),
    /// The response is an error, or not of the model's shape.
    #[error(transparent)]
    Api(#[from] Box<ApiError>),
}

impl From<ApiError> for NamedDecodeError {
    fn from(e: ApiError) -> Self {
        NamedDecodeError::Api(Box::new(e))
    }
}

fn run<T: Model + serde::Serialize>(
    resp: &HttpResponse,
    opts: &DecodeOptions,
) -> Result<Decoded<serde_json::Value>, NamedDecodeError> {
    let d = decode_as::<T>(resp, opts)?;
    // Models are plain data with string keys: serialising cannot fail, and
    // a failure would still be reported rather than invented.
    let value = serde_json::to_value(&d.value).map_err(|e| {
        NamedDecodeError::from(ApiError::bare(
            ErrorKind::MalformedResponse,
            Some(resp.status),
            format!("the model does not serialise: {e}"),
        ))
    })?;
    Ok(Decoded {
        status: d.status,
        value,
        rate_limit: d.rate_limit,
    })
}

/// Decodes `resp` as the model named `target` (see [`DECODE_TARGETS`]) and
/// returns it in its JSON form.
pub fn decode_named(
    target: &str,
    resp: &HttpResponse,
    opts: &DecodeOptions,
) -> Result<Decoded<serde_json::Value>, NamedDecodeError> {
    let (r, o) = (resp, opts);
    match target {
        "payload" => run::<serde_json::Value>(r, o),
        "token_check" => run::<TokenCheck>(r, o),
        "auth_token" => run::<AuthToken>(r, o),
        "oauth_token" => run::<OAuthToken>(r, o),
        "user" => run::<User>(r, o),
        "api_key" => run::<ApiKey>(r, o),
        "org" => run::<Org>(r, o),
        "workspace" => run::<Workspace>(r, o),
        "org_list" => run::<OrgList>(r, o),
        "workspace_list" => run::<WorkspaceList>(r, o),
        "node_details" => run::<NodeDetails>(r, o),
        "node_list" => run::<NodeList>(r, o),
        "read_token" => run::<ReadToken>(r, o),
        "lock" => run::<Lock>(r, o),
        "upload_session" => run::<UploadSession>(r, o),
        "chunk_list" => run::<ChunkList>(r, o),
        "algos" => run::<Algos>(r, o),
        "upload_limits" => run::<UploadLimits>(r, o),
        "batch" => run::<Batch>(r, o),
        "share" => run::<Share>(r, o),
        "ai_turn_ref" => run::<AiTurnRef>(r, o),
        "ai_message" => run::<AiMessage>(r, o),
        "ai_cancel" => run::<AiCancel>(r, o),
        "event" => run::<Event>(r, o),
        "event_list" => run::<EventList>(r, o),
        "activity" => run::<Activity>(r, o),
        "webhook_subscription" => run::<WebhookSubscription>(r, o),
        "transfer_token" => run::<TransferToken>(r, o),
        "fileshare" => run::<FileShare>(r, o),
        "fileshare_details" => run::<FileShareDetails>(r, o),
        "fileshare_list" => run::<FileShareList>(r, o),
        "fileshare_grants" => run::<FileShareGrants>(r, o),
        "unified_search" => run::<UnifiedSearch>(r, o),
        "note_content" => run::<NoteContent>(r, o),
        other => Err(NamedDecodeError::UnknownTarget(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_decodes_and_others_are_refused() {
        let resp = HttpResponse::new(200, br#"{"result":true}"#.to_vec());
        let opts = DecodeOptions::default();
        for name in DECODE_TARGETS {
            let r = decode_named(name, &resp, &opts);
            assert!(
                !matches!(r, Err(NamedDecodeError::UnknownTarget(_))),
                "{name}: {r:?}"
            );
        }
        assert_eq!(
            decode_named("no_such_model", &resp, &opts),
            Err(NamedDecodeError::UnknownTarget("no_such_model".into()))
        );
    }
}
