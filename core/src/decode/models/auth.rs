//! Sign-in answers: the token check, auth and OAuth tokens, the user and API
//! keys.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, model};
use crate::decode::de;
use crate::secret::Secret;

/// `user/auth/check/`: the token's user id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenCheck {
    /// The user id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(TokenCheck, []);

/// A signed-in token from password sign-in or 2FA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthToken {
    /// The JWT.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub auth_token: Secret,
    /// Lifetime in seconds.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub expires_in: Option<u64>,
    /// True while the token is limited until 2FA is done.
    #[serde(default, rename = "2factor", deserialize_with = "de::opt_flag")]
    pub two_factor: Option<bool>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(AuthToken, []);

/// The OAuth token response (no envelope).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OAuthToken {
    /// The access token (1 h).
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub access_token: Secret,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub expires_in: Option<u64>,
    /// The refresh token.
    #[serde(default, serialize_with = "Secret::serialize_exposed_opt")]
    pub refresh_token: Option<Secret>,
    /// The granted scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// The granted scopes (an array, or a JSON string holding one).
    #[serde(default, deserialize_with = "de::string_list")]
    pub scopes: Vec<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(OAuthToken, []);

/// A user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// E-mail.
    #[serde(default)]
    pub email_address: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(User, ["user"]);

/// An API key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    /// The key's id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// The key itself: present once, in the create response.
    #[serde(default, serialize_with = "Secret::serialize_exposed_opt")]
    pub api_key: Option<Secret>,
    /// The note.
    #[serde(default)]
    pub memo: Option<String>,
    /// Expiry.
    #[serde(default)]
    pub expires: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
// Create answers `{api_key: "<the key>"}` at the top level and list answers
// `{results, api_keys}` (fastio_cli src/api/types.rs:145-168 @96b1551); a
// nested `key` object would hide the secret, so only `api_key_details` nests.
model!(ApiKey, ["api_key_details"]);
