//! File Shares: a durable link to one file, as the official client speaks to
//! them (fastio_cli src/api/fileshare.rs:20-60, 138-253, 922-1066 and
//! src/client.rs:1194-1520 @96b1551).
//!
//! Management calls are a workspace member's: bearer-authorised, form bodies,
//! a grant removed by `user` or `email` in the query. Consumption calls may be
//! anonymous (an `anyone_with_link` share needs no token): the bearer goes
//! along only when one is configured, and a link password travels only in the
//! `x-ve-password` header. No host follows redirects, so a 3xx to a request
//! that carries the password comes back as an answer and fails closed; the
//! preview's one redirect is followed by [`super::Client::follow_redirect`],
//! which drops every credential.

use serde::Deserialize;

use super::path::{join, seg};
use super::{Auth, BuildError, Params, Req, invalid};
use crate::secret::Secret;

/// The header a File Share link password travels in.
pub const PASSWORD_HEADER: &str = "x-ve-password";

/// The access tiers a File Share can have.
pub const ACCESS_OPTIONS: &[&str] = &["anyone_with_link", "any_registered", "named_people"];

/// What a grant allows, in increasing order.
pub const CAPABILITIES: &[&str] = &["view", "download", "edit"];

/// The longest relative expiry, in seconds (about a hundred years), as the
/// official client bounds it (src/api/fileshare.rs:94-97).
pub const MAX_EXPIRES_S: u64 = 3_155_760_000;

/// Who a grant is for: a user by id or anyone by e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grantee {
    /// A user id.
    User(String),
    /// An e-mail address.
    Email(String),
}

impl Grantee {
    fn field(&self) -> Result<(String, String), BuildError> {
        let (k, v) = match self {
            Grantee::User(v) => ("user", v),
            Grantee::Email(v) => ("email", v),
        };
        if v.trim().is_empty() {
            return Err(invalid(
                if k == "user" { "user" } else { "email" },
                "is empty",
            ));
        }
        Ok((k.to_string(), v.clone()))
    }
}

/// When a File Share expires: seconds from now, or a date and time (UTC
/// when it names no zone).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    /// Seconds from now, `1..=`[`MAX_EXPIRES_S`].
    In(u64),
    /// An absolute date and time.
    At(String),
}

impl Expiry {
    fn field(&self) -> Result<(String, String), BuildError> {
        match self {
            Expiry::In(s) if !(1..=MAX_EXPIRES_S).contains(s) => Err(invalid(
                "expires",
                format!("must be 1..={MAX_EXPIRES_S} seconds, not {s}"),
            )),
            Expiry::In(s) => Ok(("expires".into(), s.to_string())),
            // An empty or `null` value is the service's "clear the expiry"
            // sentinel: sent by mistake it would make a timed link durable.
            Expiry::At(a) if a.trim().is_empty() || a.trim().eq_ignore_ascii_case("null") => {
                Err(invalid(
                    "expires_at",
                    "must be a date and time; clear it with `clear`",
                ))
            }
            Expiry::At(a) => Ok(("expires_at".into(), a.clone())),
        }
    }
}

/// A change to a setting that can be set or cleared.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change<T> {
    /// Set it.
    Set(T),
    /// Clear it.
    Clear,
}

/// File Share calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileSharesCall {
    /// `POST workspace/{ws}/create/fileshare/` (form): a link to one file.
    Create {
        /// The workspace.
        workspace_id: String,
        /// The file node the link serves (fixed for the link's life).
        node_id: String,
        /// A title.
        #[serde(default)]
        title: Option<String>,
        /// One of [`ACCESS_OPTIONS`].
        #[serde(default)]
        access_option: Option<String>,
        /// A link password.
        #[serde(default)]
        password: Option<Secret>,
        /// When the link expires.
        #[serde(default)]
        expires: Option<Expiry>,
    },
    /// `GET workspace/{ws}/list/fileshares/` with `offset` and `limit`.
    List {
        /// The workspace.
        workspace_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST fileshare/{id}/update/` (form). A cleared password is sent as
    /// `password=""`, a cleared expiry as `expires_at=""`.
    Update {
        /// The File Share.
        fileshare_id: String,
        /// A new title.
        #[serde(default)]
        title: Option<String>,
        /// A new access tier.
        #[serde(default)]
        access_option: Option<String>,
        /// A new password, or none.
        #[serde(default)]
        password: Option<Change<Secret>>,
        /// A new expiry, or none.
        #[serde(default)]
        expires: Option<Change<Expiry>>,
    },
    /// `DELETE fileshare/{id}/delete/`.
    Delete {
        /// The File Share.
        fileshare_id: String,
    },
    /// `GET fileshare/{id}/grants/`.
    Grants {
        /// The File Share.
        fileshare_id: String,
    },
    /// `POST fileshare/{id}/grants/` (form `user` or `email`, `capability`).
    GrantAdd {
        /// The File Share.
        fileshare_id: String,
        /// Who.
        grantee: Grantee,
        /// One of [`CAPABILITIES`].
        capability: String,
    },
    /// `DELETE fileshare/{id}/grants/?user=` or `?email=`.
    GrantRemove {
        /// The File Share.
        fileshare_id: String,
        /// Who.
        grantee: Grantee,
    },
    /// `GET fileshare/{id}/details/`: the link, its file and the caller's
    /// `effective_capability`.
    Details {
        /// The File Share.
        fileshare_id: String,
        /// The link password, if it has one.
        #[serde(default)]
        password: Option<Secret>,
    },
    /// `GET fileshare/{id}/storage/read/`: the file's bytes.
    Read {
        /// The File Share.
        fileshare_id: String,
        /// The link password, if it has one.
        #[serde(default)]
        password: Option<Secret>,
    },
    /// `GET fileshare/{id}/storage/versions/`.
    Versions {
        /// The File Share.
        fileshare_id: String,
        /// The link password, if it has one.
        #[serde(default)]
        password: Option<Secret>,
    },
    /// `GET fileshare/{id}/storage/versions/{vid}/read/`: one version's bytes.
    VersionRead {
        /// The File Share.
        fileshare_id: String,
        /// The version.
        version_id: String,
        /// The link password, if it has one.
        #[serde(default)]
        password: Option<Secret>,
    },
    /// `GET fileshare/{id}/storage/preview/{type}/read/`; the answer may be
    /// a redirect, followed once without credentials.
    Preview {
        /// The File Share.
        fileshare_id: String,
        /// The preview kind (`thumbnail`, `image`, `pdf`, …).
        preview_type: String,
        /// The link password, if it has one.
        #[serde(default)]
        password: Option<Secret>,
    },
}

fn fileshare(id: &str, tail: &[&str]) -> Result<String, BuildError> {
    let id = seg("fileshare_id", id)?;
    let mut parts = vec!["fileshare", id.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

fn access(a: &Option<String>) -> Result<(), BuildError> {
    match a {
        Some(a) if !ACCESS_OPTIONS.contains(&a.as_str()) => Err(invalid(
            "access_option",
            format!("must be one of {}, not {a:?}", ACCESS_OPTIONS.join(", ")),
        )),
        _ => Ok(()),
    }
}

fn title(t: &Option<String>) -> Result<(), BuildError> {
    // An empty title is the service's "clear the title" sentinel, which the
    // official client does not offer either.
    match t {
        Some(t) if t.is_empty() => Err(invalid("title", "is empty")),
        _ => Ok(()),
    }
}

fn password(p: &Secret) -> Result<String, BuildError> {
    // An empty password would make the link unprotected: refused, so an
    // unset variable cannot strip a password by accident.
    if p.is_empty() {
        return Err(invalid("password", "is empty; clear it with `clear`"));
    }
    Ok(p.expose().to_string())
}

/// A consumption request: the bearer only when configured, the password in
/// its header.
fn consume(path: String, pw: &Option<Secret>) -> Result<Req, BuildError> {
    let mut r = Req::get(path).auth(Auth::Optional);
    if let Some(p) = pw {
        r.headers.push((PASSWORD_HEADER.to_string(), password(p)?));
    }
    Ok(r)
}

pub(crate) fn build(c: &FileSharesCall) -> Result<Req, BuildError> {
    use FileSharesCall as F;
    Ok(match c {
        F::Create {
            workspace_id,
            node_id,
            title: t,
            access_option,
            password: pw,
            expires,
        } => {
            title(t)?;
            access(access_option)?;
            let ws = seg("workspace_id", workspace_id)?;
            if node_id.trim().is_empty() {
                return Err(invalid("node_id", "is empty"));
            }
            let mut form = Params::new()
                .put("node", node_id)
                .opt("title", t)
                .opt("access_option", access_option)
                .done();
            if let Some(p) = pw {
                form.push(("password".into(), password(p)?));
            }
            if let Some(e) = expires {
                form.push(e.field()?);
            }
            Req::post_form(join(&["workspace", &ws, "create", "fileshare"]), form)
        }
        F::List {
            workspace_id,
            limit,
            offset,
        } => Req::get(join(&[
            "workspace",
            &seg("workspace_id", workspace_id)?,
            "list",
            "fileshares",
        ]))
        .query(
            Params::new()
                .opt("offset", offset)
                .opt("limit", limit)
                .done(),
        ),
        F::Update {
            fileshare_id,
            title: t,
            access_option,
            password: pw,
            expires,
        } => {
            title(t)?;
            access(access_option)?;
            let mut form = Params::new()
                .opt("title", t)
                .opt("access_option", access_option)
                .done();
            match pw {
                Some(Change::Set(p)) => form.push(("password".into(), password(p)?)),
                Some(Change::Clear) => form.push(("password".into(), String::new())),
                None => {}
            }
            match expires {
                Some(Change::Set(e)) => form.push(e.field()?),
                Some(Change::Clear) => form.push(("expires_at".into(), String::new())),
                None => {}
            }
            if form.is_empty() {
                return Err(invalid(
                    "fileshare_id",
                    "an update needs at least one change",
                ));
            }
            Req::post_form(fileshare(fileshare_id, &["update"])?, form)
        }
        F::Delete { fileshare_id } => Req::delete(fileshare(fileshare_id, &["delete"])?),
        F::Grants { fileshare_id } => Req::get(fileshare(fileshare_id, &["grants"])?),
        F::GrantAdd {
            fileshare_id,
            grantee,
            capability,
        } => {
            if !CAPABILITIES.contains(&capability.as_str()) {
                return Err(invalid(
                    "capability",
                    format!(
                        "must be one of {}, not {capability:?}",
                        CAPABILITIES.join(", ")
                    ),
                ));
            }
            let mut form = vec![grantee.field()?];
            form.push(("capability".into(), capability.clone()));
            Req::post_form(fileshare(fileshare_id, &["grants"])?, form)
        }
        // The grant to remove goes in the query: the service does not read a
        // DELETE's body here (src/api/fileshare.rs:36-39).
        F::GrantRemove {
            fileshare_id,
            grantee,
        } => Req::delete(fileshare(fileshare_id, &["grants"])?).query(vec![grantee.field()?]),
        F::Details {
            fileshare_id,
            password: pw,
        } => consume(fileshare(fileshare_id, &["details"])?, pw)?,
        F::Read {
            fileshare_id,
            password: pw,
        } => consume(fileshare(fileshare_id, &["storage", "read"])?, pw)?,
        F::Versions {
            fileshare_id,
            password: pw,
        } => consume(fileshare(fileshare_id, &["storage", "versions"])?, pw)?,
        F::VersionRead {
            fileshare_id,
            version_id,
            password: pw,
        } => {
            let v = seg("version_id", version_id)?;
            consume(
                fileshare(fileshare_id, &["storage", "versions", &v, "read"])?,
                pw,
            )?
        }
        F::Preview {
            fileshare_id,
            preview_type,
            password: pw,
        } => {
            let t = seg("preview_type", preview_type)?;
            consume(
                fileshare(fileshare_id, &["storage", "preview", &t, "read"])?,
                pw,
            )?
        }
    })
}
