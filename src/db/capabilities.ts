/**
 * What the engine in use can do beyond what every supported engine does, from its version
 * (asked once per Db; asked again after a failure, so a database that was down does not stay
 * judged). Callers keep a plain path for the engines without a capability.
 *
 *   jsonAggregates   JSON_ARRAYAGG / JSON_OBJECT as graphql/sql writes them: SQLite, MariaDB ≥ 10.5
 *   deleteReturning  DELETE … RETURNING: SQLite ≥ 3.35, MariaDB ≥ 10.0.5 (MySQL and TiDB have none)
 */
import type {Transaction} from 'sequelize'

import type {Db} from './index.js'

export interface Capabilities {
  jsonAggregates: boolean
  deleteReturning: boolean
}

type Version = [number, number, number]

const atLeast = (v: Version, min: Version) => v[0] !== min[0] ? v[0] > min[0] : v[1] !== min[1] ? v[1] > min[1] : v[2] >= min[2]

/** The capabilities an engine has, from its dialect and its version string (VERSION() or sqlite_version()). */
export function capabilitiesOf(dialect: Db['dialect'], version: string): Capabilities {
  // MariaDB before 11 may show itself behind MySQL's handshake version: 5.5.5-10.6.16-MariaDB.
  const match = /^(?:5\.5\.5-)?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version)
  const v: Version = match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : [0, 0, 0]
  if (dialect === 'sqlite') return {jsonAggregates: true, deleteReturning: atLeast(v, [3, 35, 0])}
  const mariadb = /mariadb/i.test(version)
  return {jsonAggregates: mariadb && atLeast(v, [10, 5, 0]), deleteReturning: mariadb && atLeast(v, [10, 0, 5])}
}

const known = new WeakMap<Db, Promise<Capabilities>>()

/** `transaction`: ask inside it (a writer asks there, so that the question waits for nothing: SQLite's one writer). */
export function capabilities(db: Db, transaction?: Transaction): Promise<Capabilities> {
  let answer = known.get(db)
  if (!answer) {
    answer = db.sequelize.getQueryInterface().databaseVersion({transaction}).then(
      (version) => capabilitiesOf(db.dialect, version),
      (error: unknown) => {
        known.delete(db)
        throw error
      },
    )
    known.set(db, answer)
  }
  return answer
}
