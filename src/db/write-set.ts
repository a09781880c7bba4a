/**
 * What a multi-primary cluster allows one transaction to write. Galera replicates a transaction
 * as one write set and refuses it above wsrep_max_ws_rows rows or wsrep_max_ws_size bytes (0
 * rows: no limit); with wsrep_load_data_splitting on, it commits a LOAD DATA every 10,000 rows,
 * which would break a batch's atomicity. Imports size their batches by these. Elsewhere (one
 * MySQL or MariaDB node, MySQL 8, SQLite) there is no limit to respect.
 */
import {QueryTypes} from 'sequelize'

import type {Db} from './index.js'

export interface WriteSetLimits {
  /** Rows one transaction may write, when limited. */
  maxRows?: number
  /** Bytes of one transaction's write set, when limited. */
  maxBytes?: number
  /** Rows after which Galera commits a LOAD DATA on its own, when it does. */
  loadDataSplit?: number
}

/** The limits of the node `db` talks to, or undefined when it is no Galera node. */
export async function writeSetLimits(db: Db): Promise<WriteSetLimits | undefined> {
  if (db.dialect !== 'mysql') return undefined
  // SHOW VARIABLES answers everywhere (no rows on MySQL); SELECT @@wsrep_on would fail there.
  const rows = await db.sequelize.query<{Variable_name: string; Value: string}>(
    "SHOW VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_max_ws_rows', 'wsrep_max_ws_size', 'wsrep_load_data_splitting')",
    {type: QueryTypes.SELECT},
  )
  const value = new Map(rows.map((row) => [row.Variable_name, row.Value]))
  if (value.get('wsrep_on') !== 'ON') return undefined
  const maxRows = Number(value.get('wsrep_max_ws_rows') ?? 0)
  const maxBytes = Number(value.get('wsrep_max_ws_size') ?? 0)
  return {
    ...(maxRows > 0 ? {maxRows} : {}),
    ...(maxBytes > 0 ? {maxBytes} : {}),
    ...(value.get('wsrep_load_data_splitting') === 'ON' ? {loadDataSplit: 10_000} : {}),
  }
}
