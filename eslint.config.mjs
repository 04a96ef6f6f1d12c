// Lint: typescript-eslint's recommended rules, plus the type-aware rules that catch what the
// compiler does not (a promise nobody awaits, a promise where a callback's result is ignored, a
// switch that misses a case of a union). Formatting is Prettier's (`npm run format`), so no
// stylistic rule is here (eslint-config-prettier switches them off).
//
// Not here: no-unnecessary-condition. Tried on the tree (88 findings), most of them were guards
// on values whose static type is wider at run time than declared (parsed JSON, worker messages,
// driver errors, `catch` bindings); removing them would trade a checked edge for a crash. Index
// access is checked by the compiler instead (`noUncheckedIndexedAccess`, tsconfig.build.json).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test/clients/**/vendor/**',
      '**/*.js',
      '**/*.cjs',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  prettier,
);
