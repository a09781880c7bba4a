/**
 * How driver failures read (src/db/connection.ts): the causes MySQL and MariaDB give by code,
 * and a statement that found a table missing (not migrated), each one line with what to do.
 */
import {expect} from 'chai'

import {parseDatabaseUrl} from '../../src/config/database-url.js'
import {missingTable, translateConnectionError, translateMissingTable} from '../../src/db/connection.js'
import {lockWaitTimedOut} from '../../src/db/lock-wait.js'
import {UnavailableError} from '../../src/errors.js'
import {isRetryable} from '../../src/services/transaction.js'

const mysqlTarget = parseDatabaseUrl('mysql://app:secret@db.example:3306/stayctl', '--database-url')
const sqliteTarget = parseDatabaseUrl('sqlite:/tmp/stayctl-unit.sqlite', '--database-url')

/** A driver error as Sequelize wraps it: the code on `original`. */
function driverError(code: string, message: string, errno?: number): Error {
  return Object.assign(new Error(message), {name: 'SequelizeDatabaseError', original: Object.assign(new Error(message), {code, errno})})
}

describe('database errors', () => {
  for (const [code, reason] of [
    ['ER_ACCESS_DENIED_ERROR', 'access denied (wrong user or password)'],
    ['ER_ACCESS_DENIED_NO_PASSWORD_ERROR', 'access denied (unknown user, or a password is needed)'],
    ['ER_DBACCESS_DENIED_ERROR', 'access to the database denied for this user'],
  ] as const) {
    it(`${code}: unavailable, the reason in words, the password masked`, () => {
      const error = translateConnectionError(driverError(code, 'Access denied'), mysqlTarget, '--database-url')
      expect(error).to.be.instanceOf(UnavailableError)
      expect((error as Error).message).to.equal(`cannot connect to mysql://app:****@db.example:3306/stayctl: ${reason}`)
    })
  }

  it('a missing table on SQLite and on MySQL is unavailable, saying to migrate', () => {
    const sqlite = driverError('SQLITE_ERROR', 'SQLITE_ERROR: no such table: bookings')
    const mysql = driverError('ER_NO_SUCH_TABLE', "Table 'stayctl.bookings' doesn't exist", 1146)
    expect(missingTable(sqlite)).to.equal('bookings')
    expect(missingTable(mysql)).to.equal('bookings')
    for (const [error, target] of [
      [sqlite, sqliteTarget],
      [mysql, mysqlTarget],
    ] as const) {
      const translated = translateMissingTable(error, target) as UnavailableError
      expect(translated).to.be.instanceOf(UnavailableError)
      expect(translated.message).to.equal(`${target.display} has no table "bookings": its schema is missing or not up to date`)
      expect(translated.suggestion).to.match(/^run `stayctl db migrate`/)
    }
  })

  it('other errors pass through untouched', () => {
    const other = driverError('SQLITE_CONSTRAINT', 'SQLITE_CONSTRAINT: UNIQUE constraint failed: users.email')
    expect(missingTable(other)).to.equal(undefined)
    expect(translateMissingTable(other, sqliteTarget)).to.equal(other)
    expect(translateConnectionError(other, sqliteTarget, '--database-url')).to.equal(other)
  })

  // A lock waited for in vain is final (src/db/lock-wait.ts); a lost race is tried again (inTransaction).
  for (const [what, error, waited, retried] of [
    ['MySQL lock wait timeout (1205)', driverError('ER_LOCK_WAIT_TIMEOUT', 'Lock wait timeout exceeded', 1205), true, false],
    ['MySQL lock wait timeout by number alone', driverError('SOMETHING', 'Lock wait timeout exceeded', 1205), true, false],
    ['SQLITE_BUSY after the busy timeout', driverError('SQLITE_BUSY', 'SQLITE_BUSY: database is locked'), true, false],
    ['a deadlock, or a Galera certification failure (1213)', driverError('ER_LOCK_DEADLOCK', 'Deadlock found', 1213), false, true],
    ['Group Replication rolled back at commit (3101)', driverError('ER_TRANSACTION_ROLLBACK_DURING_COMMIT', 'rolled back', 3101), false, true],
    ['a duplicate key', driverError('ER_DUP_ENTRY', 'Duplicate entry', 1062), false, false],
  ] as const) {
    it(`${what}: ${waited ? 'waited out, not retried' : retried ? 'a lost race, retried' : 'neither'}`, () => {
      expect({waited: lockWaitTimedOut(error), retried: isRetryable(error)}).to.deep.equal({waited, retried})
    })
  }
})
