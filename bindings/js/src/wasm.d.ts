// A `.wasm` import, as Workers (and bundlers with a wasm loader) provide it:
// the compiled module, not yet instantiated.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
