// The entry for runtimes that import WebAssembly as compiled modules and
// forbid compiling it at run time (Cloudflare Workers / workerd, selected by
// the "workerd" export condition; wrangler bundles each `.wasm` import as a
// module). Everything else is the default entry, unchanged.
//
// The three core modules are the ones jco splits this component into;
// build.sh fails when the transpiled component has any other set, so a new
// jco cannot silently leave one out.
import coreModule from '../component/core.core.wasm';
import coreModule2 from '../component/core.core2.wasm';
import coreModule3 from '../component/core.core3.wasm';
import { loadCore } from './core.js';

const modules: Record<string, WebAssembly.Module> = {
  'core.core.wasm': coreModule,
  'core.core2.wasm': coreModule2,
  'core.core3.wasm': coreModule3,
};

// The first load decides how the wasm is obtained; every later loadCore()
// (each call the package makes) shares this instance.
void loadCore({
  getCoreModule: (name) => {
    const m = modules[name];
    if (!m) throw new Error(`fastio-core: the component asks for ${name}, which this entry does not import`);
    return m;
  },
}).catch(() => undefined);

export * from './index.js';
