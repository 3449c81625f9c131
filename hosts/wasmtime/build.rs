//! Embeds the component in the `fastio` binary when `FASTIO_EMBED_COMPONENT`
//! names a built `fastio_component.wasm` (tests/dist.sh does), so the binary
//! runs from anywhere with nothing beside it. Without it the binary looks
//! for the component at run time (`--component`, `FASTIO_COMPONENT`, the
//! build directory).

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=FASTIO_EMBED_COMPONENT");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let code = match std::env::var_os("FASTIO_EMBED_COMPONENT").filter(|v| !v.is_empty()) {
        Some(path) => {
            let path = std::fs::canonicalize(&path).unwrap_or_else(|e| {
                panic!(
                    "FASTIO_EMBED_COMPONENT={}: {e}",
                    PathBuf::from(&path).display()
                )
            });
            println!("cargo::rerun-if-changed={}", path.display());
            format!("Some(include_bytes!({:?}))", path.display().to_string())
        }
        None => "None".to_owned(),
    };
    std::fs::write(
        out.join("embedded.rs"),
        format!("pub const EMBEDDED: Option<&[u8]> = {code};\n"),
    )
    .expect("write OUT_DIR/embedded.rs");
}
