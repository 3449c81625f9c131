//! Sign-in, tokens, API keys and OAuth 2.0 PKCE (reference §1).

use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::path::{join, seg};
use super::{Auth, BuildError, Params, Req, invalid};
use crate::secret::Secret;

/// Authentication calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthCall {
    /// `GET user/auth/check/`: is the bearer token valid; returns the user id.
    Check,
    /// `GET user/me/details/` (or `user/details/` with `legacy_path`).
    CurrentUser {
        /// Use the `user/details/` path some third-party clients use.
        #[serde(default)]
        legacy_path: bool,
    },
    /// `GET user/auth/` with HTTP Basic credentials: password sign-in.
    SignIn {
        /// The account e-mail.
        email: String,
        /// The password.
        password: Secret,
    },
    /// `POST user/auth/2factor/auth/{code}/`: upgrade a limited JWT.
    TwoFactor {
        /// The one-time code.
        code: String,
    },
    /// `POST user/auth/key/`: create an API key (shown once in the response).
    CreateApiKey {
        /// A note.
        #[serde(default)]
        memo: Option<String>,
        /// Scopes, as the API expects them (a string).
        #[serde(default)]
        scopes: Option<String>,
        /// Agent name.
        #[serde(default)]
        agent_name: Option<String>,
        /// Expiry, `Y-m-d H:i:s` UTC.
        #[serde(default)]
        expires: Option<String>,
    },
    /// `GET user/auth/keys/`.
    ListApiKeys,
    /// `GET user/auth/key/{key_id}/`.
    GetApiKey {
        /// The key's id.
        key_id: String,
    },
    /// `POST user/auth/key/{key_id}/`.
    UpdateApiKey {
        /// The key's id.
        key_id: String,
        /// A new note.
        #[serde(default)]
        memo: Option<String>,
        /// New scopes.
        #[serde(default)]
        scopes: Option<String>,
        /// New agent name (fastio_cli src/api/auth.rs:303-333 @96b1551).
        #[serde(default)]
        agent_name: Option<String>,
        /// New expiry; an empty string clears it.
        #[serde(default)]
        expires: Option<String>,
    },
    /// `DELETE user/auth/key/{key_id}/`.
    DeleteApiKey {
        /// The key's id.
        key_id: String,
    },
    /// `oauth/authorize/`: start a PKCE authorisation. The S256 challenge is
    /// computed here from the verifier the host generated and keeps.
    #[serde(rename = "oauth_authorize")]
    OAuthAuthorize {
        /// The OAuth client id.
        client_id: String,
        /// Where the user agent returns.
        redirect_uri: String,
        /// The PKCE code verifier (43–128 unreserved characters).
        code_verifier: Secret,
        /// Opaque state echoed back.
        state: String,
        /// Requested scope.
        #[serde(default)]
        scope: Option<String>,
        /// Scope type.
        #[serde(default)]
        scope_type: Option<String>,
        /// Agent name.
        #[serde(default)]
        agent_name: Option<String>,
        /// `true`: `POST` a form (the agent guide). `false` (default): `GET`
        /// with the parameters in the query and `response_format=json` (the
        /// official CLI), which answers with an `auth_request_id`.
        #[serde(default)]
        post: bool,
    },
    /// `POST oauth/token/` with `grant_type=authorization_code`.
    #[serde(rename = "oauth_exchange_code")]
    OAuthExchangeCode {
        /// The authorisation code.
        code: Secret,
        /// The verifier whose challenge was sent to `authorize`.
        code_verifier: Secret,
        /// The OAuth client id.
        client_id: String,
        /// The redirect URI used in `authorize`.
        redirect_uri: String,
        /// A name for the session the token opens, as `device_name`
        /// (fastio_cli src/api/auth.rs:168-188 @96b1551 sends its own).
        #[serde(default)]
        device_name: Option<String>,
        /// Its kind, as `device_type` (such as `cli`, `mobile`).
        #[serde(default)]
        device_type: Option<String>,
    },
    /// `POST oauth/token/` with `grant_type=refresh_token`.
    #[serde(rename = "oauth_refresh")]
    OAuthRefresh {
        /// The refresh token.
        refresh_token: Secret,
        /// The OAuth client id.
        client_id: String,
    },
    /// `POST oauth/revoke/` (RFC 7009). Unconfirmed: the official client
    /// revokes through its sessions instead ([`AuthCall::OAuthRevokeSession`]).
    #[serde(rename = "oauth_revoke")]
    OAuthRevoke {
        /// The token to revoke.
        token: Secret,
    },
    /// `DELETE oauth/sessions/{session_id}/`: revoke one OAuth session, as
    /// the official client does (fastio_cli src/api/auth.rs:377-440 @96b1551).
    #[serde(rename = "oauth_revoke_session")]
    OAuthRevokeSession {
        /// The session.
        session_id: String,
    },
}

/// A PKCE code verifier that RFC 7636 does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "PKCE code verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (got {len} characters)"
)]
pub struct PkceError {
    /// The verifier's length.
    pub len: usize,
}

/// The S256 code challenge for a verifier: `BASE64URL(SHA256(verifier))`
/// without padding (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> Result<String, PkceError> {
    let ok_len = (43..=128).contains(&verifier.len());
    let ok_chars = verifier
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !ok_len || !ok_chars {
        return Err(PkceError {
            len: verifier.chars().count(),
        });
    }
    let digest = Sha256::digest(verifier.as_bytes());
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest))
}

pub(crate) fn build(call: &AuthCall) -> Result<Req, BuildError> {
    Ok(match call {
        AuthCall::Check => Req::get(join(&["user", "auth", "check"])),
        AuthCall::CurrentUser { legacy_path } => Req::get(if *legacy_path {
            join(&["user", "details"])
        } else {
            join(&["user", "me", "details"])
        }),
        AuthCall::SignIn { email, password } => {
            if email.contains(':') || email.trim().is_empty() {
                return Err(invalid("email", "must be non-empty and contain no ':'"));
            }
            Req::get(join(&["user", "auth"])).auth(Auth::Basic {
                user: email.clone(),
                password: password.clone(),
            })
        }
        AuthCall::TwoFactor { code } => Req::post_form(
            join(&["user", "auth", "2factor", "auth", &seg("code", code)?]),
            Vec::new(),
        ),
        AuthCall::CreateApiKey {
            memo,
            scopes,
            agent_name,
            expires,
        } => Req::post_form(
            join(&["user", "auth", "key"]),
            Params::new()
                .opt("memo", memo)
                .opt("scopes", scopes)
                .opt("agent_name", agent_name)
                .opt("expires", expires)
                .done(),
        ),
        AuthCall::ListApiKeys => Req::get(join(&["user", "auth", "keys"])),
        AuthCall::GetApiKey { key_id } => {
            Req::get(join(&["user", "auth", "key", &seg("key_id", key_id)?]))
        }
        AuthCall::UpdateApiKey {
            key_id,
            memo,
            scopes,
            agent_name,
            expires,
        } => Req::post_form(
            join(&["user", "auth", "key", &seg("key_id", key_id)?]),
            Params::new()
                .opt("memo", memo)
                .opt("scopes", scopes)
                .opt("agent_name", agent_name)
                .opt("expires", expires)
                .done(),
        ),
        AuthCall::DeleteApiKey { key_id } => {
            Req::delete(join(&["user", "auth", "key", &seg("key_id", key_id)?]))
        }
        AuthCall::OAuthAuthorize {
            client_id,
            redirect_uri,
            code_verifier,
            state,
            scope,
            scope_type,
            agent_name,
            post,
        } => {
            let challenge = pkce_challenge(code_verifier.expose())
                .map_err(|e| invalid("code_verifier", e.to_string()))?;
            let mut p = Params::new()
                .put("client_id", client_id)
                .put("redirect_uri", redirect_uri)
                .put("response_type", "code")
                .put("code_challenge", challenge)
                .put("code_challenge_method", "S256")
                .put("state", state)
                .opt("scope", scope)
                .opt("scope_type", scope_type)
                .opt("agent_name", agent_name);
            let path = join(&["oauth", "authorize"]);
            if *post {
                Req::post_form(path, p.done())
            } else {
                p = p.put("response_format", "json");
                Req::get(path).query(p.done())
            }
            .auth(Auth::None)
        }
        AuthCall::OAuthExchangeCode {
            code,
            code_verifier,
            client_id,
            redirect_uri,
            device_name,
            device_type,
        } => Req::post_form(
            join(&["oauth", "token"]),
            Params::new()
                .put("grant_type", "authorization_code")
                .put("code", code.expose())
                .put("code_verifier", code_verifier.expose())
                .put("client_id", client_id)
                .put("redirect_uri", redirect_uri)
                .opt("device_name", device_name)
                .opt("device_type", device_type)
                .done(),
        )
        .auth(Auth::None),
        AuthCall::OAuthRefresh {
            refresh_token,
            client_id,
        } => Req::post_form(
            join(&["oauth", "token"]),
            Params::new()
                .put("grant_type", "refresh_token")
                .put("refresh_token", refresh_token.expose())
                .put("client_id", client_id)
                .done(),
        )
        .auth(Auth::None),
        AuthCall::OAuthRevoke { token } => Req::post_form(
            join(&["oauth", "revoke"]),
            Params::new().put("token", token.expose()).done(),
        )
        .auth(Auth::None),
        AuthCall::OAuthRevokeSession { session_id } => Req::delete(join(&[
            "oauth",
            "sessions",
            &seg("session_id", session_id)?,
        ])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        // RFC 7636 Appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(pkce_challenge("short").is_err());
        assert!(pkce_challenge(&"a".repeat(129)).is_err());
        assert!(pkce_challenge(&format!("{}!", "a".repeat(50))).is_err());
    }
}
