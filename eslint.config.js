import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'oclif.manifest.json', 'bench/out/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      '@typescript-eslint/no-unused-expressions': 'off',
      'no-console': 'off',
    },
  },
  {
    // bin/run.js is CommonJS (bin/package.json): Node's ES module loader would cost every start.
    files: ['bin/run.js'],
    languageOptions: {sourceType: 'commonjs', globals: {require: 'readonly', __dirname: 'readonly'}},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  {
    // Sizes: a file reads in one sitting (400 lines of code), a function on one screen (80).
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', {max: 400, skipBlankLines: true, skipComments: true}],
      'max-lines-per-function': ['error', {max: 80, skipBlankLines: true, skipComments: true}],
    },
  },
  {
    // One storage seam on Sequelize's public API (issue 13): no private members of Sequelize,
    // its query generator, its connections or its Utils, nor casts that reach them. Read and
    // write through Model methods, sequelize.query (replacements or bind), sequelize.literal.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['connectionManager', 'queryGenerator', 'mapFinderOptions'].map((property) => ({
          property,
          message: `${property} is a Sequelize internal: use its public API (findAll, sequelize.query, literal)`,
        })),
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='connection']:not([object.type='ThisExpression'])",
          message: "a transaction's (or Sequelize's) connection is internal: pass {transaction} to sequelize.query instead",
        },
        {
          selector: 'TSAsExpression > TSTypeLiteral > TSPropertySignature[key.name=/^(connection|connectionManager|queryGenerator|options|sequelize)$/]',
          message: 'a cast that reaches a private member of Sequelize (or a transaction): use its public API',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [{name: 'sequelize', importNames: ['Utils'], message: "sequelize's Utils are internal: use its public API"}],
          patterns: [{group: ['sequelize/lib/*', 'sequelize/types/*'], message: "import from 'sequelize' itself: deep paths are internal"}],
        },
      ],
    },
  },
  {
    // Commands never reach past the service layer into Sequelize or GraphQL.
    files: ['commands/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {patterns: [{group: ['sequelize', 'mysql2', 'mysql2/*', 'sqlite3', 'graphql', '**/src/db/models.js'], message: 'commands call services; they never touch the database layer'}]},
      ],
    },
  },
)
