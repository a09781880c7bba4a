/**
 * How errors reach GraphQL clients: every domain error by the catalogue's code, with the
 * same message; anything else masked. And the redaction of the request log.
 */
import {expect} from 'chai'
import {GraphQLError} from 'graphql'
import {ConnectionRefusedError, DatabaseError} from 'sequelize'

import {
  ConflictError,
  ERROR_CATALOGUE,
  ForbiddenError,
  ImportRejectedError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
  UsageError,
  ValidationError,
  type StayctlError,
} from '../../src/errors.js'
import {LOCK_WAIT_MESSAGE} from '../../src/db/lock-wait.js'
import {UNAVAILABLE_MESSAGE, UNMIGRATED_MESSAGE, UNEXPECTED_MESSAGE, maskError} from '../../src/graphql/errors.js'
import {INTERNAL_NOTE, redact} from '../../src/graphql/request-log.js'

/** An error as graphql-js hands it over: located at a field, the thrown one as originalError. */
const located = (error: Error) => new GraphQLError(error.message, {path: ['field'], originalError: error})

describe('GraphQL errors (unit)', () => {
  const cases: [StayctlError, string][] = [
    [new ValidationError('bad date'), 'BAD_USER_INPUT'],
    [new NotFoundError('no booking 9'), 'NOT_FOUND'],
    [new ConflictError('overlaps booking 3'), 'CONFLICT'],
    [new UnauthenticatedError('log in first'), 'UNAUTHENTICATED'],
    [new ForbiddenError('not your booking'), 'FORBIDDEN'],
    [new UsageError('cannot import "payments"'), 'BAD_USER_INPUT'],
    [new ImportRejectedError('2 rows rejected'), 'BAD_USER_INPUT'],
  ]
  for (const [error, code] of cases) {
    it(`answers ${error.kind} as ${code} with the same message, kind and path`, () => {
      const masked = maskError(located(error)) as GraphQLError
      expect(masked.message).to.equal(error.message)
      expect(masked.extensions).to.deep.include({code, kind: error.kind})
      expect(masked.path).to.deep.equal(['field'])
      if (ERROR_CATALOGUE[error.kind].graphql) expect(code).to.equal(ERROR_CATALOGUE[error.kind].graphql)
    })
  }

  it('carries the suggestion and details', () => {
    const error = new ConflictError('overlap', {suggestion: 'pick other dates', details: {conflictingBookingId: 3}})
    expect((maskError(located(error)) as GraphQLError).extensions).to.deep.equal({
      code: 'CONFLICT',
      kind: 'CONFLICT',
      suggestion: 'pick other dates',
      details: {conflictingBookingId: 3},
    })
  })

  it('masks anything else, keeping a redacted note for the log line out of the JSON', () => {
    const error = Object.assign(new Error("Duplicate entry 'alice@example.com' for key 'users_email_unique'"), {sql: 'INSERT INTO users …'})
    const masked = maskError(located(error)) as GraphQLError
    expect(masked.message).to.equal(UNEXPECTED_MESSAGE)
    expect(masked.extensions).to.deep.equal({code: 'INTERNAL_SERVER_ERROR'})
    expect(masked.originalError).to.equal(undefined)
    expect((masked as unknown as Record<symbol, string>)[INTERNAL_NOTE]).to.equal("Error: Duplicate entry '…' for key '…'")
    expect(JSON.stringify(masked)).not.to.match(/alice|users_email|INSERT|Duplicate/)
  })

  it('answers an unreachable database as SERVICE_UNAVAILABLE without naming it', () => {
    for (const error of [new UnavailableError('cannot connect to mysql://db.internal:3306/prod'), new ConnectionRefusedError(new Error('ECONNREFUSED 10.0.0.5:3306'))]) {
      const masked = maskError(located(error)) as GraphQLError
      expect(masked.message).to.equal(UNAVAILABLE_MESSAGE)
      expect(masked.extensions).to.deep.equal({code: 'SERVICE_UNAVAILABLE'})
    }
  })

  it('answers a connection lost or timed out in the middle of a statement as SERVICE_UNAVAILABLE, not INTERNAL', () => {
    const driver = (message: string, code: string, fatal = true) => Object.assign(new Error(message), {code, fatal, sql: 'SELECT …'})
    for (const lost of [
      driver('Connection lost: The server closed the connection.', 'PROTOCOL_CONNECTION_LOST'),
      driver('read ECONNRESET', 'ECONNRESET'),
      driver('the database did not answer within 1000 ms', 'PROTOCOL_SEQUENCE_TIMEOUT'),
      Object.assign(new Error("Can't add new command when connection is in closed state"), {fatal: true}),
    ]) {
      const masked = maskError(located(new DatabaseError(lost as unknown as Error & {sql: string}))) as GraphQLError
      expect(masked.extensions, lost.message).to.deep.equal({code: 'SERVICE_UNAVAILABLE'})
      expect(masked.message).to.equal(UNAVAILABLE_MESSAGE)
    }
    // A statement the database refused is no outage.
    const refused = maskError(located(new DatabaseError(driver("Unknown column 'x' in 'field list'", 'ER_BAD_FIELD_ERROR', false) as Error & {sql: string}))) as GraphQLError
    expect(refused.extensions).to.deep.equal({code: 'INTERNAL_SERVER_ERROR'})
    // A table that is not there: the server's database is not migrated (yet), which its operator must do.
    const unmigrated = maskError(located(new DatabaseError(driver("Table 'stayctl.x' doesn't exist", 'ER_NO_SUCH_TABLE', false) as Error & {sql: string}))) as GraphQLError
    expect(unmigrated.extensions).to.deep.equal({code: 'SERVICE_UNAVAILABLE'})
    expect(unmigrated.message).to.equal(UNMIGRATED_MESSAGE)
  })

  it('answers a write that waited out another writer\'s lock (outside a transaction) as CONFLICT, saying so', () => {
    for (const [message, code] of [
      ['SQLITE_BUSY: database is locked', 'SQLITE_BUSY'],
      ['Lock wait timeout exceeded; try restarting transaction', 'ER_LOCK_WAIT_TIMEOUT'],
    ]) {
      const masked = maskError(located(new DatabaseError(Object.assign(new Error(message), {code, sql: 'UPDATE …'}) as Error & {sql: string}))) as GraphQLError
      expect({message: masked.message, code: masked.extensions.code}, code).to.deep.equal({message: LOCK_WAIT_MESSAGE, code: 'CONFLICT'})
    }
  })

  it("passes GraphQL's own errors (syntax, validation) through", () => {
    const error = new GraphQLError('Cannot query field "passwordHash" on type "User".', {extensions: {code: 'GRAPHQL_VALIDATION_FAILED'}})
    expect(maskError(error)).to.equal(error)
  })

  it('redacts hashes, tokens and quoted values from log text', () => {
    const hash = '$2b$04$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234'
    expect(redact(`hash ${hash} token stay_t_abc-DEF_1 session=stay_s_Zx-_9 Bearer xyz sha ${'a'.repeat(64)} value 'secret'`)).to.equal(
      "hash [hash] token [token] session=[token] Bearer [token] sha [hash] value '…'",
    )
  })
})
