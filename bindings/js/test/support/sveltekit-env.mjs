// Stands in for SvelteKit's `$env/dynamic/private` when tests import the
// example routes: tests set the variables on this object.
export const env = {};
