/**
 * A runner that dies holding the schema lock: takes the lock of the database named by the
 * first argument, prints "locked", and holds it until the test kills it with SIGKILL.
 * Run with `node --import tsx test/support/hold-lock.ts <database-url>`.
 */
import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {withSchemaLock} from '../../src/db/lock.js'

await withSchemaLock(
  parseDatabaseUrl(process.argv[2]),
  async () => {
    process.stdout.write('locked\n')
    await new Promise(() => setInterval(() => {}, 60_000))
  },
  {task: 'hold-lock'},
)
