// Resolves the tsconfig "paths" aliases (@wharf/...) to the compiled files under dist/ at run
// time, so compiled services need no bundler. Loaded with `node -r ./scripts/dist-paths.js`.
const Module = require('node:module');
const path = require('node:path');

require('./node-version').assertSupportedNode('Wharf');
const tsconfig = require('../tsconfig.json');

const dist = path.join(__dirname, '..', 'dist');
const aliases = Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) => {
  const [head, tail = ''] = alias.split('*');
  return { head, tail, wildcard: alias.includes('*'), target };
});

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  for (const a of aliases) {
    if (!a.wildcard && request === a.head) return resolveFilename.call(this, path.join(dist, a.target), ...rest);
    if (a.wildcard && request.startsWith(a.head) && request.endsWith(a.tail)) {
      const captured = request.slice(a.head.length, request.length - a.tail.length);
      return resolveFilename.call(this, path.join(dist, a.target.replace('*', captured)), ...rest);
    }
  }
  return resolveFilename.call(this, request, ...rest);
};
