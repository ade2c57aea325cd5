// Lint rules that catch bugs, not style (prettier owns the layout): typescript-eslint's recommended set without type
// information, so that "npm test" stays fast on a 2-core machine.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'man/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Unused names are bugs or leftovers; a leading underscore marks an intentionally ignored one.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'smart'],
      'prefer-const': 'error',
    },
  },
  {
    // Tests read JSON answers and frames of many shapes: `any` there is the honest type.
    files: ['tests/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
