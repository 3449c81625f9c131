//! The component imports nothing outside the checked-in allowlist and
//! exports every interface of the WIT package, read from wasmtime's view of
//! the component's type (no separate WIT tool needed).

#[test]
fn imports_are_allowlisted() {
    let allow = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/imports-allowlist.txt"
    ))
    .expect("allowlist");
    let allowed: Vec<&str> = allow
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let core =
        fastio_wasmtime::Core::load(fastio_wasmtime::default_component_path()).expect("component");
    let imports = core.imports();
    for name in &imports {
        // `wasi:cli/environment@0.2.6` → `wasi:cli/environment@0.2`
        let short = match name.rsplit_once('.') {
            Some((head, _)) if name.matches('.').count() >= 2 => head.to_string(),
            _ => name.clone(),
        };
        assert!(
            allowed.contains(&short.as_str()),
            "import {name} is not in imports-allowlist.txt"
        );
    }
    eprintln!("imports: {imports:?}");
}

#[test]
fn every_interface_is_exported() {
    let core =
        fastio_wasmtime::Core::load(fastio_wasmtime::default_component_path()).expect("component");
    let exports = core.exports();
    for iface in [
        "types", "requests", "uploads", "hashing", "webhooks", "policy",
    ] {
        let name = format!("fastio:core/{iface}@0.1.0");
        assert!(
            exports.contains(&name),
            "the component does not export {name}: {exports:?}"
        );
    }
}
