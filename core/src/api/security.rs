//! Account security and the sign-up flows: two-factor management, OAuth
//! sessions, sign-up, e-mail checks and verification, password resets
//! (fastio_cli src/api/auth.rs:36-146, 205-252, 333-446 @96b1551). Sign-up,
//! the e-mail check and both password-reset steps are sent without
//! credentials, as the official client sends them; every code, token and
//! password is a secret and never shown in Debug output.

use serde::Deserialize;

use super::path::{join, seg};
use super::{Auth, BuildError, Params, Req, invalid};
use crate::http::{Body, Method};
use crate::secret::Secret;

/// The channels a second factor can use (src/bin/fastio/commands/auth.rs:158-178).
pub const TWO_FACTOR_CHANNELS: &[&str] = &["sms", "totp", "whatsapp"];

/// Security and sign-up calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SecurityCall {
    /// `GET user/auth/2factor/` (src/api/auth.rs:220-225).
    TwoFactorStatus,
    /// `POST user/auth/2factor/{channel}/` (empty form; src/api/auth.rs:227-238).
    TwoFactorEnable {
        /// One of [`TWO_FACTOR_CHANNELS`].
        channel: String,
    },
    /// `POST user/auth/2factor/verify/{token}/` (empty form): confirms the
    /// setup (src/api/auth.rs:367-375).
    TwoFactorVerifySetup {
        /// The code the channel delivered.
        token: Secret,
    },
    /// `GET user/auth/2factor/send/{channel}/`: sends a code (src/api/auth.rs:359-365).
    TwoFactorSend {
        /// One of [`TWO_FACTOR_CHANNELS`].
        channel: String,
    },
    /// `DELETE user/auth/2factor/{token}/` (src/api/auth.rs:240-249).
    TwoFactorDisable {
        /// A current code.
        token: Secret,
    },
    /// `GET oauth/sessions/` (src/api/auth.rs:376-381).
    #[serde(rename = "oauth_sessions")]
    OAuthSessions,
    /// `GET oauth/sessions/{id}/` (src/api/auth.rs:383-389).
    #[serde(rename = "oauth_session")]
    OAuthSession {
        /// The session.
        session_id: String,
    },
    /// `PATCH oauth/sessions/{id}/` (form `device_name`, `agent_name`;
    /// src/api/auth.rs:391-413).
    #[serde(rename = "oauth_rename")]
    OAuthRename {
        /// The session.
        session_id: String,
        /// A device name.
        #[serde(default)]
        device_name: Option<String>,
        /// An agent name.
        #[serde(default)]
        agent_name: Option<String>,
    },
    /// `DELETE oauth/sessions/`, keeping one session when named
    /// (`exclude_current=true&current_session_id=…` in the query;
    /// src/api/auth.rs:422-446).
    #[serde(rename = "oauth_revoke_all")]
    OAuthRevokeAll {
        /// The session to keep.
        #[serde(default)]
        keep_session_id: Option<String>,
    },
    /// `POST user/` (form, no credentials): a new account; `tos_agree` is
    /// always `true`, `agent` marks an AI-agent account for good
    /// (src/api/auth.rs:36-66).
    SignUp {
        /// The address.
        email_address: String,
        /// The password.
        password: Secret,
        /// First name.
        #[serde(default)]
        first_name: Option<String>,
        /// Last name.
        #[serde(default)]
        last_name: Option<String>,
        /// An AI-agent account.
        #[serde(default)]
        agent: bool,
    },
    /// `POST user/email/` (form `email`, no credentials): whether an
    /// address is taken (src/api/auth.rs:333-340).
    EmailCheck {
        /// The address.
        email: String,
    },
    /// `POST user/email/validate/` (form `email`, `email_token`): sends a
    /// code, or with one verifies the address (src/api/auth.rs:114-129).
    EmailVerify {
        /// The address.
        email: String,
        /// The code received.
        #[serde(default)]
        email_token: Option<Secret>,
    },
    /// `POST user/email/change/` (form `token`): confirms a new address
    /// (src/api/auth.rs:100-112).
    EmailChangeConfirm {
        /// The token mailed to the new address.
        token: Secret,
    },
    /// `POST user/email/reset/` (form `email`, no credentials): mails a
    /// reset code (src/api/auth.rs:131-142).
    PasswordResetRequest {
        /// The address.
        email: String,
    },
    /// `POST user/password/{code}/` (form `password1`, `password2`, no
    /// credentials; src/api/auth.rs:343-357). Both must match.
    PasswordResetComplete {
        /// The mailed code.
        code: Secret,
        /// The new password.
        password: Secret,
        /// The new password again.
        password_again: Secret,
    },
}

fn channel(c: &str) -> Result<String, BuildError> {
    if !TWO_FACTOR_CHANNELS.contains(&c) {
        return Err(invalid(
            "channel",
            format!(
                "must be one of {}, not {c:?}",
                TWO_FACTOR_CHANNELS.join(", ")
            ),
        ));
    }
    seg("channel", c)
}

fn secret_seg(field: &'static str, s: &Secret) -> Result<String, BuildError> {
    // The segment is the secret itself; the error never repeats it.
    if s.expose().trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    seg(field, s.expose()).map_err(|_| invalid(field, "is not usable in a path"))
}

fn email(field: &'static str, e: &str) -> Result<(), BuildError> {
    let e = e.trim();
    match e.split_once('@') {
        Some((user, host)) if !user.is_empty() && host.contains('.') => Ok(()),
        _ => Err(invalid(field, "is not an e-mail address")),
    }
}

pub(crate) fn build(c: &SecurityCall) -> Result<Req, BuildError> {
    use SecurityCall as S;
    Ok(match c {
        S::TwoFactorStatus => Req::get("user/auth/2factor/".into()),
        S::TwoFactorEnable { channel: ch } => Req::post_form(
            join(&["user", "auth", "2factor", &channel(ch)?]),
            Vec::new(),
        ),
        S::TwoFactorVerifySetup { token } => Req::post_form(
            join(&[
                "user",
                "auth",
                "2factor",
                "verify",
                &secret_seg("token", token)?,
            ]),
            Vec::new(),
        ),
        S::TwoFactorSend { channel: ch } => {
            Req::get(join(&["user", "auth", "2factor", "send", &channel(ch)?]))
        }
        S::TwoFactorDisable { token } => Req::delete(join(&[
            "user",
            "auth",
            "2factor",
            &secret_seg("token", token)?,
        ])),
        S::OAuthSessions => Req::get("oauth/sessions/".into()),
        S::OAuthSession { session_id } => Req::get(join(&[
            "oauth",
            "sessions",
            &seg("session_id", session_id)?,
        ])),
        S::OAuthRename {
            session_id,
            device_name,
            agent_name,
        } => {
            let form = Params::new()
                .opt("device_name", device_name)
                .opt("agent_name", agent_name)
                .done();
            if form.is_empty() {
                return Err(invalid(
                    "device_name",
                    "give a device name, an agent name or both",
                ));
            }
            let mut r = Req::new(
                Method::Patch,
                join(&["oauth", "sessions", &seg("session_id", session_id)?]),
            );
            r.body = Body::Form(form);
            r
        }
        S::OAuthRevokeAll { keep_session_id } => {
            let q = match keep_session_id {
                Some(k) if k.trim().is_empty() => {
                    return Err(invalid("keep_session_id", "is empty"));
                }
                Some(k) => Params::new()
                    .put("exclude_current", "true")
                    .put("current_session_id", k)
                    .done(),
                None => Vec::new(),
            };
            Req::delete("oauth/sessions/".into()).query(q)
        }
        S::SignUp {
            email_address,
            password,
            first_name,
            last_name,
            agent,
        } => {
            email("email_address", email_address)?;
            if password.is_empty() {
                return Err(invalid("password", "is empty"));
            }
            let mut form = Params::new()
                .put("email_address", email_address.trim())
                .done();
            form.push(("password".into(), password.expose().to_string()));
            form.extend(
                Params::new()
                    .put("tos_agree", "true")
                    .opt("first_name", first_name)
                    .opt("last_name", last_name)
                    .done(),
            );
            if *agent {
                form.push(("agent".into(), "true".into()));
            }
            Req::post_form("user/".into(), form).auth(Auth::None)
        }
        S::EmailCheck { email: e } => {
            email("email", e)?;
            Req::post_form(
                "user/email/".into(),
                Params::new().put("email", e.trim()).done(),
            )
            .auth(Auth::None)
        }
        S::EmailVerify {
            email: e,
            email_token,
        } => {
            email("email", e)?;
            let mut form = Params::new().put("email", e.trim()).done();
            if let Some(t) = email_token {
                form.push(("email_token".into(), t.expose().to_string()));
            }
            Req::post_form("user/email/validate/".into(), form)
        }
        S::EmailChangeConfirm { token } => {
            if token.is_empty() {
                return Err(invalid("token", "is empty"));
            }
            Req::post_form(
                "user/email/change/".into(),
                vec![("token".into(), token.expose().to_string())],
            )
        }
        S::PasswordResetRequest { email: e } => {
            email("email", e)?;
            Req::post_form(
                "user/email/reset/".into(),
                Params::new().put("email", e.trim()).done(),
            )
            .auth(Auth::None)
        }
        S::PasswordResetComplete {
            code,
            password,
            password_again,
        } => {
            if password.is_empty() {
                return Err(invalid("password", "is empty"));
            }
            if password != password_again {
                return Err(invalid("password_again", "does not match the password"));
            }
            Req::post_form(
                join(&["user", "password", &secret_seg("code", code)?]),
                vec![
                    ("password1".into(), password.expose().to_string()),
                    ("password2".into(), password_again.expose().to_string()),
                ],
            )
            .auth(Auth::None)
        }
    })
}
