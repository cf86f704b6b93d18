import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', '.cache/**', 'test-results/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Config is parsed once in packages/config; everything else receives it.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings through @tokumei/config.' }],
    },
  },
  {
    files: ['packages/config/src/config.ts', 'test/**', 'bench/**', 'apps/tokumei/src/**', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['apps/*/bin/*.js'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly' } },
  },
);
