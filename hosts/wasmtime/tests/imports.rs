//! The component imports nothing outside the checked-in allowlist (the same
//! check run_tests.sh makes with wasm-tools, here through wasmtime's view of
//! the component's type).

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
