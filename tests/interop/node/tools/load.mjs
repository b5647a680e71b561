// Copied into the install dir by tests/interop/setup.sh, next to node_modules/.
// A dynamic import() resolves bare specifiers relative to the module that calls it,
// so clients kept in the repo (clients/ts_client.mjs) can load the pinned SDKs through
// this file; ESM ignores NODE_PATH, and a symlinked script resolves from its real path.
export const load = (specifier) => import(specifier);
