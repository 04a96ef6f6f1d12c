// Derives jest's moduleNameMapper from tsconfig.json "paths", so aliases live in one place.
const tsconfig = require('../tsconfig.json');

function pathsToModuleNameMapper() {
  const mapper = {};
  for (const [alias, [target]] of Object.entries(tsconfig.compilerOptions.paths)) {
    const from = '^' + alias.replace('*', '(.*)') + '$';
    mapper[from] = '<rootDir>/' + target.replace('*', '$1');
  }
  return mapper;
}

module.exports = { pathsToModuleNameMapper };
