/**
 * The layers of stayctl, checked by `npm run deps` (dependency-cruiser) in CI:
 *
 *   commands → src/cli → src/graphql | src/remote → src/backend.ts → src/services → src/db → src/config → src/errors.ts
 *
 * with src/domain.ts (the enums and types of the domain) and src/test-pause.ts below them all.
 * An import may skip layers downwards, never point upwards, and no module imports itself back
 * through others. Every rule is an error; see docs of each rule in its `comment`.
 */
const LOCAL = '^(src|commands|migrations|seeders)/'
const GRAPHQL_PACKAGES = '^node_modules/(graphql|graphql-yoga|graphql-request|@envelop|@escape\\.tech/graphql-armor|@graphql-[^/]+)/'
const DATABASE_PACKAGES = '^node_modules/(sequelize|mysql2|sqlite3|umzug)/'
const OCLIF = '^node_modules/@oclif/'

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A module reaches itself again through its imports. Move what both sides need into a module below them both.',
      from: {path: LOCAL},
      to: {circular: true},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to no file (a typo, or a module that moved without its importers).',
      from: {path: LOCAL},
      to: {couldNotResolve: true},
    },

    // commands: parse flags → one call (a Backend operation, or a local-only database service) → render.
    {
      name: 'commands-not-to-database-or-graphql-packages',
      severity: 'error',
      comment: 'Commands never touch Sequelize, the drivers or GraphQL: they go through src/cli and the Backend (src/backend.ts).',
      from: {path: '^commands/'},
      to: {path: [DATABASE_PACKAGES, GRAPHQL_PACKAGES]},
    },
    {
      name: 'commands-not-to-db',
      severity: 'error',
      comment: 'Commands never import src/db: the base command (src/cli/base-command.ts) opens the database.',
      from: {path: '^commands/'},
      to: {path: '^src/db/'},
    },
    {
      name: 'commands-not-to-graphql-layer',
      severity: 'error',
      comment: 'Commands never import src/graphql, except `stayctl serve`, whose one call is starting the server.',
      from: {path: '^commands/', pathNot: '^commands/serve\\.ts$'},
      to: {path: '^src/graphql/'},
    },
    {
      name: 'serve-only-to-graphql-server',
      severity: 'error',
      comment: '`stayctl serve` starts the server (src/graphql/server.ts); the rest of src/graphql is the server\'s own.',
      from: {path: '^commands/serve\\.ts$'},
      to: {path: '^src/graphql/', pathNot: '^src/graphql/server\\.ts$'},
    },
    {
      name: 'commands-only-types-from-services',
      severity: 'error',
      comment:
        'Commands run operations through the Backend (this.backend()), so they take only types (the views) from src/services. ' +
        'Exception: the db topic administers the local database (schema, seed), which has no remote form.',
      from: {path: '^commands/', pathNot: '^commands/db/'},
      to: {path: '^src/services/', dependencyTypesNot: ['type-only']},
    },
    {
      name: 'db-commands-only-schema-and-seed-services',
      severity: 'error',
      comment: 'The db topic calls the schema and seed services; every other operation goes through the Backend.',
      from: {path: '^commands/db/'},
      to: {path: '^src/services/', pathNot: '^src/services/(schema|schema-status|seed|seed-data)\\.ts$', dependencyTypesNot: ['type-only']},
    },

    // src/cli: flags, rendering, prompts, the base command (which picks the local or remote Backend).
    {
      name: 'cli-not-to-commands',
      severity: 'error',
      comment: 'src/cli serves the commands; it never imports one.',
      from: {path: '^src/cli/'},
      to: {path: '^commands/'},
    },

    // src/graphql and src/remote: the two sides of HTTP, side by side.
    {
      name: 'graphql-not-up',
      severity: 'error',
      comment: 'The GraphQL server calls the Backend operations; it never imports the CLI, oclif, the remote client or a command.',
      from: {path: '^src/graphql/'},
      to: {path: ['^src/cli/', '^src/remote/', '^commands/', OCLIF]},
    },
    {
      name: 'graphql-projection-for-loaders',
      severity: 'error',
      comment:
        'Which columns each GraphQL type needs (src/graphql/projection.ts) is read when a request starts (server.ts) and used by the loaders; ' +
        'resolvers and services get plain lists of keys from the loaders.',
      from: {pathNot: '^src/graphql/(loaders|server)\\.ts$'},
      to: {path: '^src/graphql/projection\\.ts$'},
    },
    {
      name: 'remote-not-up-or-down',
      severity: 'error',
      comment: 'The remote backend speaks GraphQL over HTTP: it never imports the server side, the CLI, oclif, a command, src/db or a database package.',
      from: {path: '^src/remote/'},
      to: {path: ['^src/graphql/', '^src/cli/', '^commands/', '^src/db/', OCLIF, DATABASE_PACKAGES]},
    },

    // src/backend.ts: the operations table over the services.
    {
      name: 'backend-not-up',
      severity: 'error',
      comment: 'The Backend binds the services; it never imports the CLI, GraphQL, the remote client or a command.',
      from: {path: '^src/backend\\.ts$'},
      to: {path: ['^src/cli/', '^src/graphql/', '^src/remote/', '^commands/', OCLIF, GRAPHQL_PACKAGES]},
    },

    // src/services: the operations, with plain typed input and output.
    {
      name: 'services-not-up',
      severity: 'error',
      comment: 'Services hold the rules with plain types: they never import GraphQL, oclif, the CLI, the remote client, the Backend table or a command.',
      from: {path: '^src/services/'},
      to: {path: ['^src/graphql/', '^src/cli/', '^src/remote/', '^src/backend\\.ts$', '^commands/', OCLIF, GRAPHQL_PACKAGES]},
    },

    {
      name: 'formats-not-up',
      severity: 'error',
      comment:
        'src/services/formats reads and writes the file formats (CSV, JSON, NDJSON) for import, export, `list --csv` and the remote client: ' +
        'it imports only itself and src/errors.ts, never another service, the database or its packages.',
      from: {path: '^src/services/formats/'},
      to: {path: [LOCAL, DATABASE_PACKAGES], pathNot: ['^src/services/formats/', '^src/errors\\.ts$']},
    },

    // src/db: connections, models, migration runners, locks.
    {
      name: 'db-not-up',
      severity: 'error',
      comment: 'The database layer never imports the services, GraphQL, the CLI, the remote client, the Backend or a command.',
      from: {path: '^src/db/'},
      to: {path: ['^src/services/', '^src/graphql/', '^src/cli/', '^src/remote/', '^src/backend\\.ts$', '^commands/', OCLIF, GRAPHQL_PACKAGES]},
    },
    {
      name: 'migrations-not-to-models',
      severity: 'error',
      comment: 'Migrations use queryInterface only, never the models (models change, migrations must not).',
      from: {path: '^migrations/'},
      to: {path: '^src/db/models\\.ts$'},
    },

    // The bottom: settings, the error catalogue, the domain's enums and types.
    {
      name: 'config-not-up',
      severity: 'error',
      comment: 'src/config resolves settings; it imports only itself and src/errors.ts.',
      from: {path: '^src/config/'},
      to: {path: LOCAL, pathNot: ['^src/config/', '^src/errors\\.ts$']},
    },
    {
      name: 'config-no-database-or-graphql-packages',
      severity: 'error',
      comment: 'src/config is below the database and GraphQL layers.',
      from: {path: '^src/config/'},
      to: {path: [DATABASE_PACKAGES, GRAPHQL_PACKAGES, OCLIF]},
    },
    {
      name: 'leaves-import-nothing-local',
      severity: 'error',
      comment: 'src/errors.ts, src/domain.ts, src/bcrypt-hash.ts, src/digest.ts and src/test-pause.ts are at the bottom: they import no module of the project.',
      from: {path: '^src/(errors|domain|bcrypt-hash|digest|test-pause)\\.ts$'},
      to: {path: LOCAL},
    },
    {
      name: 'domain-no-packages',
      severity: 'error',
      comment: 'The domain enums and types depend on no package: not on Sequelize, not on GraphQL.',
      from: {path: '^src/domain\\.ts$'},
      to: {dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown']},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    exclude: {path: '^dist/'},
    // Type-only imports count: a cycle of types is still a cycle, and a layer's types are part of it.
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    // Packages resolve through their "exports" (@oclif/core has no "main").
    enhancedResolveOptions: {exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default']},
    reporterOptions: {text: {highlightFocused: true}},
  },
}
