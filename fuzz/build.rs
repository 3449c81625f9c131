//! Compiles the hosts' private request parsers into the fuzz library.
//!
//! `parse_range` (the devserver's `Range` header), the gateway's file-name
//! check and its query and header readers are private to their crates. Rather
//! than widen their visibility, this copies their exact source text out of
//! the hosts' files at build time, so the targets fuzz the code that ships,
//! and a parser that moves or changes shape fails this build loudly instead
//! of being fuzzed as a stale copy.

use std::fmt::Write as _;
use std::path::Path;

/// The item starting on the line that begins with `start` (indentation
/// included), up to and including the first later line equal to `close`.
fn item(src: &str, file: &str, start: &str, close: &str) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let Some(first) = lines.iter().position(|l| l.starts_with(start)) else {
        panic!("{file}: no line starts with {start:?}; update fuzz/build.rs");
    };
    if lines[first].trim_end().ends_with(';') {
        return format!("{}\n", lines[first]);
    }
    let Some(len) = lines[first + 1..].iter().position(|l| *l == close) else {
        panic!("{file}: {start:?} has no closing {close:?}; update fuzz/build.rs");
    };
    let mut out = lines[first..=first + 1 + len].join("\n");
    out.push('\n');
    out
}

fn read(root: &Path, rel: &str) -> String {
    let path = root.join(rel);
    println!("cargo:rerun-if-changed={}", path.display());
    match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("..");
    let mut out = String::new();

    let storage_rel = "hosts/devserver/src/routes/storage/download.rs";
    let storage = read(&root, storage_rel);
    let range = item(&storage, storage_rel, "fn parse_range(", "}");
    writeln!(
        out,
        "/// From `{storage_rel}`.\npub mod devserver_storage {{\n    pub {range}}}\n"
    )
    .expect("write");

    let names_rel = "hosts/spin/src/names.rs";
    let names = read(&root, names_rel);
    writeln!(
        out,
        "/// From `{names_rel}`.\npub mod gateway_names {{\n{}\n#[derive(Debug, Clone, PartialEq, Eq)]\n{}\n{}}}\n",
        item(&names, names_rel, "pub const MAX_NAME_BYTES", ""),
        item(&names, names_rel, "pub enum NameError", "}"),
        item(&names, names_rel, "pub fn check(", "}"),
    )
    .expect("write");

    let incoming_rel = "hosts/spin/src/incoming.rs";
    let incoming = read(&root, incoming_rel);
    let methods: String = [
        "    pub fn header(&self",
        "    pub fn query_param(&self",
        "    pub fn bearer(&self",
        "    pub fn content_length(&self",
    ]
    .iter()
    .map(|m| item(&incoming, incoming_rel, m, "    }"))
    .collect();
    writeln!(
        out,
        "/// From `{incoming_rel}`: the request's readers over its head alone.\n\
         pub mod gateway_incoming {{\n\
         /// The parts of a request the readers look at.\n\
         pub struct Request {{\n    /// The query string (without `?`).\n    pub query: String,\n    \
         /// Headers, names lower-case.\n    pub headers: Vec<(String, String)>,\n}}\n\
         impl Request {{\n{methods}}}\n{}}}\n",
        item(&incoming, incoming_rel, "pub fn query_value(", "}"),
    )
    .expect("write");

    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("extracted.rs");
    std::fs::write(&dest, out).expect("write extracted.rs");
}
