// Resolves SvelteKit's virtual `$env/dynamic/private` module to the test
// stand-in (registered with node:module's `register`).
export async function resolve(specifier, context, next) {
  if (specifier === '$env/dynamic/private') {
    return { url: new URL('./sveltekit-env.mjs', import.meta.url).href, shortCircuit: true };
  }
  return next(specifier, context);
}
