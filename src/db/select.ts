/**
 * Plain SELECTs straight on the driver, on a connection from Sequelize's own pool, for reads
 * of many rows per request (the batched reads of src/services/relations.ts). Sequelize's
 * result handling costs more than the statement there: it copies every row of a raw query and
 * calls its type-cast hook (a closure and a parser lookup) for every value.
 *
 * Rows come back as the driver gives them, named by the select list: MySQL with DATE and
 * DATETIME as text (dateStrings), DECIMAL as text, integers as numbers; SQLite as stored.
 * Never inside a transaction. Each statement is logged like Sequelize's (`Executing
 * (default): …`), so SQL logs and statement counts see it. Errors are Sequelize's
 * DatabaseError, as from sequelize.query().
 */
import {DatabaseError} from 'sequelize'

import type {Db} from './index.js'

type Row = Record<string, unknown>

interface MysqlConnection {
  query(options: {sql: string; typeCast: (field: unknown, next: () => unknown) => unknown; dateStrings: boolean}, callback: (error: Error | null, rows: Row[]) => void): unknown
}

interface SqliteConnection {
  all(sql: string, callback: (error: Error | null, rows: Row[]) => void): unknown
}

interface ConnectionManager {
  getConnection(options: {type: string}): Promise<unknown>
  releaseConnection(connection: unknown): void
}

/** Overrides Sequelize's per-value hook on its connections: the driver's own conversion. */
const driverCast = (_field: unknown, next: () => unknown) => next()

export async function selectRows(db: Db, sql: string): Promise<Row[]> {
  const {sequelize} = db
  const internals = sequelize as unknown as {options: {logging?: unknown}; connectionManager: ConnectionManager}
  if (typeof internals.options.logging === 'function') (internals.options.logging as (sql: string) => void)(`Executing (default): ${sql}`)
  const manager = internals.connectionManager
  const connection = await manager.getConnection({type: 'SELECT'})
  try {
    return await new Promise<Row[]>((resolve, reject) => {
      const done = (error: Error | null, rows: Row[]) => (error ? reject(new DatabaseError(Object.assign(error, {sql}) as never)) : resolve(rows))
      if (db.dialect === 'mysql') (connection as MysqlConnection).query({sql, typeCast: driverCast, dateStrings: true}, done)
      else (connection as SqliteConnection).all(sql, done)
    })
  } finally {
    manager.releaseConnection(connection)
  }
}
