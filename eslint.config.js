// Lint (run by `npm test` before the suite, and by `npm run lint`): typescript-eslint's recommended rules on
// every TypeScript file. `any` is an error in the shipped code (lib/, nodes/, sim/); the few typed boundaries
// that need it say so with an eslint-disable comment and a reason. Formatting is prettier's job (.prettierrc).
'use strict';
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.demo/**', '.tmp/**', 'test-artifacts/**', 'resources/**', '**/*.html'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // A `let` read by a cleanup closure before its one assignment (scripts/demo.ts) must stay a let.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests and benchmarks drive Node-RED's untyped test helper and read raw answers: any is allowed there.
    files: ['testkit/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    // node-red-node-test-helper and Node-RED's runtime ship no types: tests require() them.
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
