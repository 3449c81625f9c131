// What SvelteKit generates for `$env/dynamic/private` in an app, so the
// example routes type-check outside one.
declare module '$env/dynamic/private' {
  export const env: Record<string, string | undefined>;
}
