//! `spin.toml` cannot be run here (no Spin CLI), so it is checked against
//! the code instead: the variables the gateway reads, the routes it serves,
//! the file the build produces and the hosts it calls.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use fastio_gateway::Route;
use fastio_gateway::config::var;
use toml::Value;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(crate_dir().join("spin.toml")).expect("spin.toml");
    toml::from_str(&text).expect("spin.toml parses")
}

fn component(m: &Value) -> &Value {
    &m["component"]["gateway"]
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Spin's route syntax: exact, `/prefix/...` (any rest) and `:name`
/// (one segment).
fn spin_route_matches(route: &str, path: &str) -> bool {
    let r: Vec<&str> = route.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    for (i, seg) in r.iter().enumerate() {
        if *seg == "..." {
            return true;
        }
        match p.get(i) {
            Some(got) if seg.starts_with(':') || seg == got => {}
            _ => return false,
        }
    }
    r.len() == p.len()
}

#[test]
fn every_variable_the_gateway_reads_is_passed() {
    // The list in the code is complete: every constant of `config::var`.
    let source = std::fs::read_to_string(crate_dir().join("src/config.rs")).expect("config.rs");
    let module = source
        .split("pub mod var {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("the var module");
    let declared: BTreeSet<String> = module
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter(|l| l.contains(": &str = \""))
        .filter_map(|l| l.split('"').nth(1).map(str::to_string))
        .collect();
    let listed: BTreeSet<String> = var::ALL.iter().map(|s| s.to_string()).collect();
    assert_eq!(declared, listed, "config::var::ALL misses a constant");
    // The variables are read only through `config`.
    for entry in std::fs::read_dir(crate_dir().join("src")).expect("src") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("source");
        if path.file_name().and_then(|n| n.to_str()) != Some("config.rs") {
            assert!(
                !text.contains("std::env::var") && !text.contains("env::vars"),
                "{} reads the environment directly",
                path.display()
            );
        }
    }

    let m = manifest();
    let env = component(&m)["environment"]
        .as_table()
        .expect("[component.gateway.environment]");
    let passed: BTreeSet<String> = env.keys().cloned().collect();
    assert_eq!(
        passed, listed,
        "spin.toml passes other variables than the gateway reads"
    );
    // Spin passes `environment` values as written, so a `{{ template }}`
    // would reach the gateway as its literal text; and no secret is written
    // into the file (they come with `spin up --env`).
    for (k, v) in env {
        let v = v.as_str().expect("a string");
        assert!(!v.contains("{{"), "{k} = {v:?}: Spin does not expand it");
    }
    for name in [var::API_KEY, var::GRANT_SECRET, var::WEBHOOK_SECRETS] {
        assert_eq!(
            env[name].as_str(),
            Some(""),
            "{name} has a value in spin.toml"
        );
    }
}

#[test]
fn the_routes_cover_every_route_served() {
    let m = manifest();
    let triggers = m["trigger"]["http"].as_array().expect("[[trigger.http]]");
    for t in triggers {
        assert_eq!(t["component"].as_str(), Some("gateway"));
    }
    let routes: Vec<&str> = triggers
        .iter()
        .map(|t| t["route"].as_str().expect("route"))
        .collect();
    for r in Route::ALL {
        let (method, pattern) = r.pattern();
        let path = pattern.replace("{id}", "u1").replace("{n}", "3");
        assert!(
            routes.iter().any(|route| spin_route_matches(route, &path)),
            "{method} {path} is not routed to the gateway by spin.toml ({routes:?})"
        );
        // And the gateway itself takes the path it documents.
        assert_eq!(
            fastio_gateway::resolve(method, &path).map(|(r, _)| r),
            Ok(r)
        );
    }
    // Preflights reach the component on any path.
    assert!(
        routes
            .iter()
            .any(|r| spin_route_matches(r, "/anything/at/all"))
    );
}

#[test]
fn the_source_is_what_the_build_produces() {
    let m = manifest();
    let c = component(&m);
    let build = &c["build"];
    let command = build["command"].as_str().expect("build.command");
    let workdir = crate_dir().join(build["workdir"].as_str().unwrap_or("."));
    let args: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(&args[..2], ["cargo", "build"], "{command}");
    let after = |flag: &str| {
        args.iter()
            .position(|a| *a == flag)
            .and_then(|i| args.get(i + 1))
            .copied()
    };
    let cargo: Value = toml::from_str(
        &std::fs::read_to_string(crate_dir().join("Cargo.toml")).expect("Cargo.toml"),
    )
    .expect("Cargo.toml parses");
    let package = cargo["package"]["name"].as_str().expect("package name");
    assert_eq!(after("-p"), Some(package), "{command}");
    assert_eq!(after("--target"), Some("wasm32-wasip2"), "{command}");
    let profile = if args.contains(&"--release") {
        "release"
    } else {
        after("--profile").unwrap_or("debug")
    };
    let crate_types: Vec<&str> = cargo["lib"]["crate-type"]
        .as_array()
        .expect("crate-type")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(crate_types.contains(&"cdylib"), "the component is a cdylib");
    // Cargo names the artefact after the library (dashes become underscores)
    // under <workspace>/target unless CARGO_TARGET_DIR says otherwise.
    let expected = normalise(&workdir.join(format!(
        "target/wasm32-wasip2/{profile}/{}.wasm",
        package.replace('-', "_")
    )));
    let source = normalise(&crate_dir().join(c["source"].as_str().expect("source")));
    assert_eq!(source, expected);
    // The workdir is the workspace root, where `target/` is.
    assert!(normalise(&workdir).join("Cargo.lock").exists());
    for w in build["watch"].as_array().expect("watch") {
        let w = w.as_str().expect("a glob");
        let fixed = w.split('*').next().unwrap_or(w);
        assert!(
            crate_dir().join(fixed).exists(),
            "watch path {w} names nothing"
        );
    }
}

#[test]
fn the_api_base_host_is_allowed_outbound() {
    let m = manifest();
    let allowed: Vec<&str> = component(&m)["allowed_outbound_hosts"]
        .as_array()
        .expect("allowed_outbound_hosts")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let base = component(&m)["environment"][var::API_BASE]
        .as_str()
        .expect("FASTIO_API_BASE in the environment");
    let (scheme, rest) = base.split_once("://").expect("an absolute URL");
    let host = rest.split(['/', '?']).next().expect("a host");
    let origin = format!("{scheme}://{host}");
    assert!(
        allowed
            .iter()
            .any(|a| *a == origin || a.strip_suffix(":*") == Some(&origin)),
        "{origin} is not in {allowed:?}"
    );
    // The gateway's only other outbound call is the webhook forward target.
    assert!(
        allowed
            .iter()
            .all(|a| *a == origin || a.starts_with("http://127.0.0.1")),
        "{allowed:?}"
    );
}
