/** Flag definitions shared by several commands, defined once. */
import {Flags} from '@oclif/core'

export const databaseUrl = Flags.string({
  description: 'Database URL: mysql://user:pass@host:port/db or sqlite:<path>; a password typed here shows in the process list (a warning says so), so prefer the variable [env: STAYCTL_DATABASE_URL, DATABASE_URL]',
  helpGroup: 'GLOBAL',
})

export const readReplicaUrl = Flags.string({
  description: 'A read replica of the MySQL/MariaDB database (repeatable): reads that are not part of a write go there [env: STAYCTL_READ_REPLICA_URLS, comma-separated]',
  helpGroup: 'GLOBAL',
  multiple: true,
})

export const maxReplicaLag = Flags.integer({
  description: 'Seconds a read replica may lag behind the primary before reads skip it [env: STAYCTL_MAX_REPLICA_LAG; default 5]',
  helpGroup: 'GLOBAL',
  min: 1,
  max: 3600,
})

export const api = Flags.string({
  description: 'Run against this stayctl server (its GraphQL URL) instead of a local database; https:// for another machine (plain http:// is warned about) [env: STAYCTL_API_URL]',
  helpGroup: 'GLOBAL',
})

export const profile = Flags.string({
  description: 'Use the settings of this profile of the config file [env: STAYCTL_PROFILE]',
  helpGroup: 'GLOBAL',
})

export const timeout = Flags.integer({
  description: 'With --api: seconds to wait for each answer of the server',
  helpGroup: 'GLOBAL',
  default: 30,
  min: 1,
  max: 3600,
})

export const lockTimeout = Flags.integer({
  description: 'Seconds to wait for another runner holding the schema lock',
  default: 600,
  min: 1,
})

/** The one confirmation flag of destructive commands (--force and -f are accepted as aliases). */
export const yes = Flags.boolean({
  char: 'y',
  description: 'Do not ask for confirmation (required off a terminal)',
  aliases: ['force'],
  charAliases: ['f'],
  default: false,
})

/** The flags of every list command. */
export const list = {
  limit: Flags.integer({description: 'Rows per page (1–1000)', default: 50, min: 1, max: 1000}),
  cursor: Flags.string({description: 'Continue after the page that printed this cursor'}),
  // `--sort -createdAt`: a value after a flag may start with - only where the flag says so (usage-errors.ts swallowedFlagError).
  sort: Object.assign(Flags.string({description: 'Sort field, prefixed with - for descending (e.g. -createdAt)'}), {dashValues: true}),
  columns: Flags.string({description: 'Comma-separated columns to show (table and CSV)'}),
  csv: Flags.boolean({description: "Print CSV (RFC 4180) instead of a table (a ' before cells a spreadsheet would take for formulas)", exclusive: ['json']}),
  filter: Flags.string({description: 'Show only the rows of the page whose column contains a text, e.g. --filter name=loft (case-insensitive; repeatable)', multiple: true}),
  header: Flags.boolean({description: 'Print the header row (--no-header: rows only, for scripts)', default: true, allowNo: true}),
  truncate: Flags.boolean({description: 'On a terminal, cut long cells to fit its width (--no-truncate: print them whole)', default: true, allowNo: true}),
}
