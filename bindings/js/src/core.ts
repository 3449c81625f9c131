// Loads the fastio-core component (transpiled by jco into ../component/) once
// per process or isolate. Everything else in the package awaits `loadCore()`.

import { instantiate, type ImportObject, type Root } from '../component/core.js';
import * as cliShim from '@bytecodealliance/preview2-shim/cli';
import * as ioShim from '@bytecodealliance/preview2-shim/io';
import { UsageError } from './errors.js';
import { checkNodeVersion } from './runtime.js';

/** The component's exports, as jco typed them (every WIT interface by name). */
export type Core = Root;

export interface LoadOptions {
  /**
   * Returns a compiled core module by file name (`core.core.wasm`…). The
   * default reads the files beside the transpiled component (from disk in
   * Node, with `fetch` elsewhere); runtimes that forbid compiling wasm at run
   * time (some edge platforms) pass modules they imported statically.
   */
  getCoreModule?: (name: string) => WebAssembly.Module | Promise<WebAssembly.Module>;
}

// The component imports only what Rust's standard library pulls in for
// wasm32-wasip2 (stdio, environment, exit). The core reads no environment, so
// it is given none rather than the host's variables.
function wasiImports(): ImportObject {
  // The shim's declarations export these namespaces as types only.
  const cli = cliShim as unknown as Record<string, unknown>;
  const io = ioShim as unknown as Record<string, unknown>;
  const environment = {
    getEnvironment: (): Array<[string, string]> => [],
    getArguments: (): string[] => [],
    initialCwd: (): string | undefined => undefined,
  };
  // jco looks imports up by unversioned interface name; its ImportObject type
  // spells the versions the component was built against.
  const byName: Record<string, unknown> = {
    'wasi:cli/environment': environment,
    'wasi:cli/exit': cli.exit,
    'wasi:cli/stderr': cli.stderr,
    'wasi:cli/stdin': cli.stdin,
    'wasi:cli/stdout': cli.stdout,
    'wasi:cli/terminal-input': cli.terminalInput,
    'wasi:cli/terminal-output': cli.terminalOutput,
    'wasi:cli/terminal-stderr': cli.terminalStderr,
    'wasi:cli/terminal-stdin': cli.terminalStdin,
    'wasi:cli/terminal-stdout': cli.terminalStdout,
    'wasi:io/error': io.error,
    'wasi:io/poll': io.poll,
    'wasi:io/streams': io.streams,
  };
  return byName as unknown as ImportObject;
}

let loading: Promise<Core> | undefined;
let loadedWith: LoadOptions | undefined;

/**
 * Instantiates the component (once; later calls return the same instance).
 * Call it first with options to choose how the wasm is obtained.
 */
export function loadCore(options?: LoadOptions): Promise<Core> {
  if (loading) {
    if (options?.getCoreModule && options.getCoreModule !== loadedWith?.getCoreModule) {
      return Promise.reject(
        new UsageError('already-loaded', 'the component is already loaded; pass options to the first loadCore() call'),
      );
    }
    return loading;
  }
  try {
    checkNodeVersion((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node);
  } catch (e) {
    return Promise.reject(e);
  }
  loadedWith = options;
  loading = Promise.resolve(instantiate(options?.getCoreModule as never, wasiImports()));
  // A failed load may be retried (a transient fetch of the wasm, say).
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

const disposeSymbol: symbol =
  (Symbol as unknown as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** Frees a component resource now instead of at garbage collection. */
export function dispose(resource: object | undefined): void {
  const f = (resource as Record<symbol, unknown> | undefined)?.[disposeSymbol];
  if (typeof f === 'function') f.call(resource);
}
