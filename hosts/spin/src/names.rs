//! File names from the client: `x-file-name` (taken as is), `?name=`
//! (percent-decoded, `+` is a space, as a form field) or a JSON `"name"`.
//! A name becomes a node in a Fast.io folder, so one that could be read as
//! a path, hides control characters or is empty is refused with a 400
//! before anything goes upstream.

use serde_json::json;

use crate::incoming::Request;
use crate::reply::Reply;

/// Longest name in bytes (what common file systems allow for one node).
pub const MAX_NAME_BYTES: usize = 255;

/// Why a name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// Empty or only white space.
    Empty,
    /// `.` or `..`.
    DotName,
    /// Contains `/` or `\`.
    PathSeparator,
    /// Contains a control character (NUL, newline, DEL, …).
    ControlCharacter,
    /// Percent-decoded bytes that are not UTF-8.
    NotUtf8,
    /// Over [`MAX_NAME_BYTES`].
    TooLong(usize),
}

impl NameError {
    fn message(&self) -> String {
        match self {
            NameError::Empty => "the file name is empty".into(),
            NameError::DotName => "the file name cannot be . or ..".into(),
            NameError::PathSeparator => "the file name contains / or \\".into(),
            NameError::ControlCharacter => "the file name contains a control character".into(),
            NameError::NotUtf8 => "the file name is not UTF-8".into(),
            NameError::TooLong(n) => {
                format!("the file name is {n} bytes, more than {MAX_NAME_BYTES}")
            }
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            NameError::Empty => "empty",
            NameError::DotName => "dot_name",
            NameError::PathSeparator => "path_separator",
            NameError::ControlCharacter => "control_character",
            NameError::NotUtf8 => "not_utf8",
            NameError::TooLong(_) => "too_long",
        }
    }

    /// 400 `bad_file_name` with the reason.
    pub fn reply(&self) -> Reply {
        Reply::error(400, "bad_file_name", self.message()).with("reason", json!(self.reason()))
    }
}

/// Checks a decoded name.
pub fn check(name: &str) -> Result<&str, NameError> {
    if name.trim().is_empty() {
        return Err(NameError::Empty);
    }
    if name == "." || name == ".." {
        return Err(NameError::DotName);
    }
    if name.contains(['/', '\\']) {
        return Err(NameError::PathSeparator);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::ControlCharacter);
    }
    // Lossy decoding turns bytes that are not UTF-8 into U+FFFD.
    if name.contains('\u{FFFD}') {
        return Err(NameError::NotUtf8);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong(name.len()));
    }
    Ok(name)
}

/// The file name: `x-file-name`, else `?name=`, else `upload`; checked.
pub fn file_name(req: &Request) -> Result<String, Reply> {
    let name = req
        .header("x-file-name")
        .map(str::to_string)
        .or_else(|| req.query_param("name"))
        .unwrap_or_else(|| "upload".into());
    check(&name).map_err(|e| e.reply())?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(query: &str) -> String {
        crate::incoming::query_value(query, "name").unwrap_or_default()
    }

    #[test]
    fn query_names_are_percent_decoded() {
        assert_eq!(decoded("name=my%20report.pdf"), "my report.pdf");
        assert_eq!(decoded("x=1&name=a+b%2Bc.txt"), "a b+c.txt");
        assert_eq!(
            decoded("name=%C3%A9t%C3%A9%20%F0%9F%93%84.txt"),
            "été 📄.txt"
        );
        assert_eq!(decoded("name=a%2Fb"), "a/b");
        assert_eq!(check(&decoded("name=a%2Fb")), Err(NameError::PathSeparator));
    }

    #[test]
    fn bad_names_are_refused_with_a_reason() {
        assert_eq!(check(""), Err(NameError::Empty));
        assert_eq!(check("  "), Err(NameError::Empty));
        assert_eq!(check(".."), Err(NameError::DotName));
        assert_eq!(check("a\\b"), Err(NameError::PathSeparator));
        assert_eq!(check("a\nb"), Err(NameError::ControlCharacter));
        assert_eq!(
            check(&decoded("name=a%00b")),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(check(&decoded("name=%FF%FE")), Err(NameError::NotUtf8));
        assert_eq!(check(&"x".repeat(256)), Err(NameError::TooLong(256)));
        assert_eq!(check("ok name+1 é.txt"), Ok("ok name+1 é.txt"));
        let r = NameError::PathSeparator.reply();
        assert_eq!(r.status, 400);
        assert_eq!(r.body.as_ref().unwrap()["error"], "bad_file_name");
        assert_eq!(r.body.as_ref().unwrap()["reason"], "path_separator");
    }
}
