// Lint rules for sluice: typescript-eslint's recommended type-aware rules, plus a few that catch
// mistakes reviewers would otherwise have to spot (floating promises, unused results).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';


/**
 * The layering (docs/architecture.md), checked by `npm run lint` (so by `npm test`): config and
 * the neutral model at the bottom; sources, streams, sinks, operators and descriptors never import
 * each other's internals, only the contracts (src/sources/source.ts) and the model; src/pipeline/
 * is the one composition root; the CLI sits on top of it. Each entry: the files, the imports they
 * may not make (patterns of import specifiers), and why.
 */
const LAYERS = [
  { files: ['src/model/**'], forbid: ['../**', '!../model/**'], why: 'the model is the bottom layer: it imports only itself' },
  { files: ['src/config/**'], forbid: ['**/sources/**', '**/streams/**', '**/sinks/**', '**/operators/**', '**/descriptors/**', '**/pipeline/**', '**/cli/**'], why: 'config is the bottom layer (with the model)' },
  { files: ['src/sources/**'], forbid: ['**/streams/**', '**/sinks/**', '**/operators/**', '**/descriptors/**', '**/pipeline/**', '**/cli/**'], why: 'a source knows only the model and the source contract' },
  { files: ['src/streams/**'], forbid: ['**/sources/*/**', '**/sinks/**', '**/operators/**', '**/descriptors/**', '**/pipeline/**', '**/cli/**'], why: 'streams know sources only through src/sources/source.ts' },
  { files: ['src/sinks/**'], forbid: ['**/sources/**', '**/streams/**', '**/operators/**', '**/pipeline/**', '**/cli/**'], why: 'sinks know the model and the descriptors, not sources or Kafka' },
  { files: ['src/operators/**'], forbid: ['**/sources/*/**', '**/streams/**', '**/sinks/*/**', '**/pipeline/**', '**/cli/**'], why: 'operators know contracts and the model only' },
  { files: ['src/descriptors/**'], forbid: ['**/sources/**', '**/streams/**', '**/sinks/**', '**/operators/**', '**/pipeline/**', '**/cli/**'], why: 'descriptors know the model and the config' },
  { files: ['src/observability/**'], forbid: ['**/sources/**', '**/streams/**', '**/sinks/**', '**/operators/**', '**/descriptors/**', '**/pipeline/**', '**/cli/**'], why: 'observability (metrics, health, the status page) knows the model and its own hook types; src/pipeline/ feeds it' },
  { files: ['src/pipeline/**'], forbid: ['**/cli/**'], why: 'the composition root is below the CLI' },
  { files: ['src/cli/**'], forbid: ['**/sources/**', '**/sinks/**', '**/operators/**', '**/descriptors/**'], why: 'the CLI is thin: it goes through src/pipeline/ (and the Kafka admin helpers of src/streams/)' },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', '.stack/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'bench/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  ...LAYERS.map(({ files, forbid, why }) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: forbid, message: `layering: ${why} (docs/architecture.md)` }] }] },
  })),
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
);
