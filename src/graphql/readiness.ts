/**
 * /readyz's view of the schema: how many migrations of this stayctl the database lacks. Once
 * it has them all, that is kept for a minute (probes come every few seconds; a schema rolls
 * back only by an operator's hand); until then every probe asks again, so a server started
 * before `db migrate` (a rolling deploy) becomes ready as soon as the migration commits.
 */
import type {Db} from '../db/index.js'
import {pendingMigrationNames} from '../services/schema-status.js'

const CURRENT_FOR_MS = 60_000

export class SchemaWatch {
  private currentUntil = 0
  private names?: string[]

  async pending(db: Db): Promise<number> {
    if (Date.now() < this.currentUntil) return 0
    this.names ??= (await import('../db/migration-files.js')).discoverFiles('migrations').map((f) => f.name)
    // The schema's state is the primary's (as db status reads it): a replica that has not replayed
    // the migration yet would keep the server unready after `db migrate` committed.
    const names = this.names
    const read = () => pendingMigrationNames(db, names)
    const pending = (await (db.replicas ? db.replicas.routing.onPrimary(read) : read())).length
    if (pending === 0) this.currentUntil = Date.now() + CURRENT_FOR_MS
    return pending
  }
}
