//! The caller's account and the service itself: profile updates, user
//! search, closing the account, what the account may do, sign-out
//! everywhere, OAuth scopes, and the unauthenticated health checks
//! (fastio_cli src/api/user.rs:80-313, src/api/auth.rs:75-97, 452-458,
//! src/api/system.rs:13-33 @96b1551).

use serde::Deserialize;

use super::{Auth, BuildError, Params, Req, invalid};
use crate::secret::Secret;

/// Account and service calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AccountCall {
    /// `POST user/update/` (form; src/api/user.rs:41-104). On an account
    /// with a password, a new address or password needs `current_password`
    /// (the service decides); a phone number goes with its country code.
    Update {
        /// First name.
        #[serde(default)]
        first_name: Option<String>,
        /// Last name.
        #[serde(default)]
        last_name: Option<String>,
        /// A new e-mail address.
        #[serde(default)]
        email_address: Option<String>,
        /// A new password.
        #[serde(default)]
        password: Option<Secret>,
        /// The password now, to change the address or the password.
        #[serde(default)]
        current_password: Option<Secret>,
        /// Phone country code.
        #[serde(default)]
        phone_country: Option<String>,
        /// Phone number.
        #[serde(default)]
        phone_number: Option<String>,
    },
    /// `GET users/search/?search=…` (src/api/user.rs:284-291).
    Search {
        /// A name or address.
        search: String,
    },
    /// `POST user/close/` (form `confirmation`; src/api/user.rs:293-300).
    Close {
        /// The confirmation the service asks for.
        confirmation: String,
    },
    /// `GET user/me/allowed/` (src/api/user.rs:302-307).
    Allowed,
    /// `GET user/me/limits/orgs/` (src/api/user.rs:309-314).
    OrgLimits,
    /// `POST user/auth/sign-out/` with no body: ends the caller's revocable
    /// sessions (src/api/auth.rs:75-85).
    SignOut,
    /// `POST user/auth/invalidate-all/` with no body: ends every account
    /// session (src/api/auth.rs:87-98).
    InvalidateAll,
    /// `GET auth/scopes/` (src/api/auth.rs:450-458).
    Scopes,
    /// `GET ping/`, without credentials (src/api/system.rs:13-21).
    Ping,
    /// `GET system/status/`, without credentials (src/api/system.rs:23-33).
    Status,
}

/// A POST with no body at all, as the official client sends these
/// (src/client.rs:908-935).
fn empty_post(path: &str) -> Req {
    Req::new(crate::http::Method::Post, path.into())
}

pub(crate) fn build(c: &AccountCall) -> Result<Req, BuildError> {
    use AccountCall as A;
    Ok(match c {
        A::Update {
            first_name,
            last_name,
            email_address,
            password,
            current_password,
            phone_country,
            phone_number,
        } => {
            if phone_country.is_some() != phone_number.is_some() {
                return Err(invalid(
                    "phone_number",
                    "the phone number and its country code go together",
                ));
            }
            if password.as_ref().is_some_and(Secret::is_empty) {
                return Err(invalid("password", "is empty"));
            }
            let mut form = Params::new()
                .opt("first_name", first_name)
                .opt("last_name", last_name)
                .opt("email_address", email_address)
                .done();
            for (k, v) in [
                ("password", password),
                ("current_password", current_password),
            ] {
                if let Some(s) = v {
                    form.push((k.into(), s.expose().to_string()));
                }
            }
            form.extend(
                Params::new()
                    .opt("phone_country", phone_country)
                    .opt("phone_number", phone_number)
                    .done(),
            );
            if form.is_empty() {
                return Err(invalid("first_name", "an update needs at least one change"));
            }
            Req::post_form("user/update/".into(), form)
        }
        A::Search { search } => {
            if search.trim().is_empty() {
                return Err(invalid("search", "is empty"));
            }
            Req::get("users/search/".into()).query(Params::new().put("search", search).done())
        }
        A::Close { confirmation } => {
            if confirmation.trim().is_empty() {
                return Err(invalid("confirmation", "is empty"));
            }
            Req::post_form(
                "user/close/".into(),
                Params::new().put("confirmation", confirmation).done(),
            )
        }
        A::Allowed => Req::get("user/me/allowed/".into()),
        A::OrgLimits => Req::get("user/me/limits/orgs/".into()),
        A::SignOut => empty_post("user/auth/sign-out/"),
        A::InvalidateAll => empty_post("user/auth/invalidate-all/"),
        A::Scopes => Req::get("auth/scopes/".into()),
        A::Ping => Req::get("ping/".into()).auth(Auth::None),
        A::Status => Req::get("system/status/".into()).auth(Auth::None),
    })
}
