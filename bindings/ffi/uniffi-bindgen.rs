//! The bindgen CLI, built from this crate so its uniffi version always matches.
fn main() {
    uniffi::uniffi_bindgen_main()
}
