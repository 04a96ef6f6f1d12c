// The Node.js the project runs on is the one package.json's `engines` names (.nvmrc says the
// same for nvm). `npm ci` installs it as node_modules/.bin/node (the optional dependency
// node-linux-<arch>), and npm scripts and npx put that first on PATH, so a machine whose own node
// is older still runs everything on the right one. A process started outside them with an older
// node stops here with that advice: better-sqlite3 13's binary would crash it (a segmentation
// fault, not an error), and the tests' child processes would run on it too.
const { engines } = require('../package.json');

const required = Number(/^>=\s*(\d+)/.exec(engines.node)[1]);

function assertSupportedNode(what) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= required) return;
  process.stderr.write(
    `${what} needs Node.js ${required} or newer (package.json engines); this is ${process.version} at ${process.execPath}.\n` +
      `Start it through npm (npm start, npm test, npm run ...) or npx, which put the project's node_modules/.bin/node first on PATH, or install Node.js ${required} (.nvmrc).\n`,
  );
  process.exit(1);
}

module.exports = { assertSupportedNode };
