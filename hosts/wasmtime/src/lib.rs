//! Runs the fastio-core WebAssembly component under wasmtime, and drives its
//! upload and download machines with real HTTP. The same drivers run the
//! core linked natively ([`engine::Engine::Native`]), to compare the two.
//!
//! Embedding takes a few lines:
//!
//! ```no_run
//! use fastio_wasmtime::{Core, bindings::exports::fastio::core::types::{ClientConfig, ChunkParams, Credential}};
//! let core = Core::load("fastio_component.wasm")?;
//! let mut inst = core.instantiate()?;
//! let hex = inst.sha256(b"hello")?;
//! # Ok::<(), anyhow::Error>(())
//! ```

// Library code answers bad input with typed errors; `unwrap`/`expect` are for tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod cache;
// The conversions between the core's types and the WIT's, one text shared
// with the component so the native engine answers exactly as it does.
#[path = "../../../bindings/component/src/convert.rs"]
mod convert;
pub mod describe;
pub mod drive;
pub mod engine;
mod files;
pub mod http;
mod kept;
pub mod machine;
pub mod native;
pub mod walk;

use std::path::Path;

use anyhow::{Context, Result};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

// The generated interfaces under one name, as `convert` expects them.
use bindings::exports::fastio::core as wit;

/// Types and calls generated from `wit/`.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "core",
        // Values compare directly in tests and in callers' own checks.
        additional_derives: [PartialEq],
    });
}

use bindings::exports::fastio::core::hashing::HashAlgo;

/// What the component's store holds: the WASI context Rust's std needs
/// (stdio, clocks, environment are empty or inherited-nothing) and the
/// resource table.
pub struct State {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// A compiled component, ready to instantiate any number of times.
#[derive(Clone)]
pub struct Core {
    engine: Engine,
    component: Component,
    linker: Linker<State>,
}

/// One instance of the component with its store.
pub struct Instance {
    /// The store (pass `&mut inst.store` to calls on `inst.core`).
    pub store: Store<State>,
    /// The exported interfaces.
    pub core: bindings::Core,
}

impl Core {
    /// Loads the component at `path`, compiled once and then reused from
    /// the compile cache (see [`Core::load_with_cache`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_with_cache(path, cache::default_dir().as_deref())
    }

    /// Loads the component at `path`. With a cache directory, the machine
    /// code compiled for this wasmtime version and configuration is kept
    /// there, keyed by the component's SHA-256, so later runs map it in
    /// instead of compiling again (compiling costs seconds and tens of
    /// megabytes of memory on every start).
    pub fn load_with_cache(path: impl AsRef<Path>, cache_dir: Option<&Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_bytes_with_cache(&bytes, cache_dir)
    }

    /// The component embedded in this build (see build.rs), through the
    /// default compile cache; `None` when the build embedded none.
    pub fn embedded() -> Option<Result<Self>> {
        embedded::EMBEDDED
            .map(|bytes| Self::from_bytes_with_cache(bytes, cache::default_dir().as_deref()))
    }

    /// Compiles a component from its bytes, through the compile cache in
    /// `cache_dir` when one is given.
    pub fn from_bytes_with_cache(bytes: &[u8], cache_dir: Option<&Path>) -> Result<Self> {
        let engine = engine()?;
        let component = match cache_dir {
            Some(dir) => cache::load_or_compile(&engine, bytes, dir)?,
            None => Component::from_binary(&engine, bytes)?,
        };
        Self::with(engine, component)
    }

    /// Compiles a component from its bytes, without the cache.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let engine = engine()?;
        let component = Component::from_binary(&engine, bytes)?;
        Self::with(engine, component)
    }

    fn with(engine: Engine, component: Component) -> Result<Self> {
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        Ok(Core {
            engine,
            component,
            linker,
        })
    }

    /// The component's imports, as `name` strings (`wasi:cli/environment@0.2.x`, …).
    pub fn imports(&self) -> Vec<String> {
        self.component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// The component's exports, as `name` strings (`fastio:core/uploads@0.1.0`, …).
    pub fn exports(&self) -> Vec<String> {
        self.component
            .component_type()
            .exports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// A fresh instance. Instances are cheap; use one per thread.
    pub fn instantiate(&self) -> Result<Instance> {
        // Nothing is inherited: the core reads no environment, files or stdio.
        let state = State {
            ctx: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&self.engine, state);
        let core = bindings::Core::instantiate(&mut store, &self.component, &self.linker)?;
        Ok(Instance { store, core })
    }
}

impl Instance {
    /// SHA-256 of `data` through the component, lowercase hex.
    pub fn sha256(&mut self, data: &[u8]) -> Result<String> {
        self.hash(HashAlgo::Sha256, data)
    }

    /// A digest of `data` through the component, lowercase hex.
    pub fn hash(&mut self, algo: HashAlgo, data: &[u8]) -> Result<String> {
        Ok(self
            .core
            .fastio_core_hashing()
            .call_hash(&mut self.store, algo, data)?)
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Whether this build carries the component in its binary.
pub fn has_embedded_component() -> bool {
    embedded::EMBEDDED.is_some()
}

fn engine() -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    Ok(Engine::new(&config)?)
}

/// Where the component built by `run_tests.sh` (or `cargo build --profile
/// component --target wasm32-wasip2 -p fastio-component`) lands: next to
/// the host's target directory.
pub fn default_component_path() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("FASTIO_COMPONENT") {
        return p.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_string());
    Path::new(&target).join("wasm32-wasip2/component/fastio_component.wasm")
}
