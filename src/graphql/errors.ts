/**
 * Errors as clients see them. A domain error becomes a GraphQL error with the catalogue's
 * `extensions.code` and the same message, plus its kind, suggestion and details, so a remote
 * client can raise the very same error (and exit with the same code). A database that cannot
 * be reached, stops answering or drops the connection mid-statement is UNAVAILABLE
 * (SERVICE_UNAVAILABLE), with a message that does not name it, and so is one whose schema
 * is missing a table (not migrated, or not yet: a rolling deploy); anything else is masked as
 * INTERNAL_SERVER_ERROR with a message that says nothing (no stack, no SQL); what it was is
 * noted in the request's log line.
 */
import {GraphQLError} from 'graphql'

import {isConnectionLoss, missingTable} from '../db/connection.js'
import {lockWaitConflict} from '../db/lock-wait.js'
import {ERROR_CATALOGUE, isStayctlError, type ErrorKind, type StayctlError} from '../errors.js'
import {withoutSuggestion} from './limits.js'
import {INTERNAL_NOTE, describeInternal} from './request-log.js'

export const UNEXPECTED_MESSAGE = 'Unexpected error.'
export const UNAVAILABLE_MESSAGE = 'the server cannot reach its database; try again later'
export const UNMIGRATED_MESSAGE = "the server's database schema is missing or not up to date; its operator must run `stayctl db migrate`"

/** Kinds the catalogue gives no GraphQL code: services raise USAGE for bad flag-like values. */
const FALLBACK_CODES: Partial<Record<ErrorKind, string>> = {USAGE: 'BAD_USER_INPUT', IMPORT_REJECTED: 'BAD_USER_INPUT'}

/** A masked error that keeps, out of sight of clients, a description of `error` for the log. */
function masked(message: string, code: string, error: unknown, at?: GraphQLError): GraphQLError {
  const result = new GraphQLError(message, {nodes: at?.nodes, path: at?.path, extensions: {code}})
  Object.defineProperty(result, INTERNAL_NOTE, {value: describeInternal(error), enumerable: false})
  return result
}

function unavailable(error: unknown, at?: GraphQLError): GraphQLError {
  return masked(UNAVAILABLE_MESSAGE, ERROR_CATALOGUE.UNAVAILABLE.graphql!, error, at)
}

/** The GraphQL error for a domain error, at the place `at` (a located error) names. */
export function domainError(error: StayctlError, at?: GraphQLError): GraphQLError {
  // A database out of reach is not named to clients; a calendar feed out of reach (details.feed) is the client's to fix.
  if (error.kind === 'UNAVAILABLE' && error.details?.feed === undefined) return unavailable(error, at)
  const code = ERROR_CATALOGUE[error.kind].graphql ?? FALLBACK_CODES[error.kind] ?? 'INTERNAL_SERVER_ERROR'
  return new GraphQLError(error.message, {
    nodes: at?.nodes,
    path: at?.path,
    extensions: {
      code,
      kind: error.kind,
      ...(error.suggestion ? {suggestion: error.suggestion} : {}),
      ...(error.details ? {details: error.details} : {}),
    },
  })
}

/** graphql-js's refusal of a variable's value: `Variable "$input" got invalid value <the value>[ at "input.path"]; <why>`. */
const INVALID_VARIABLE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value /
/** The path that follows the value, up to the variable's name: letters, digits, _, dots and [n]. */
const VARIABLE_PATH = / at "([_A-Za-z][_0-9A-Za-z]*(?:\.[_A-Za-z][_0-9A-Za-z]*|\[\d+\])*)"$/

/**
 * A variable that does not coerce, said without its value: graphql-js repeats it (for a field
 * missing or unknown, the whole input object, its password with it; for a built-in scalar, the
 * value again after the reason), and clients print what the server says (`stayctl api`, a
 * script's log). The path and the reason, which name fields and types, stay.
 */
function withoutValue(error: GraphQLError): GraphQLError {
  const name = INVALID_VARIABLE.exec(error.message)?.[1]
  if (name === undefined) return error
  const inner = error.originalError
  // The reason ends the message, its suggestions taken out already while introspection is off (limits.ts), or not.
  const reason = inner instanceof GraphQLError ? [inner.message, withoutSuggestion(inner).message].find((r) => error.message.endsWith(`; ${r}`)) : undefined
  const path = reason === undefined ? undefined : VARIABLE_PATH.exec(error.message.slice(0, -(reason.length + 2)))?.[1]
  // Without a reason found, nothing after the name: whatever follows may be the value.
  const why = reason === undefined ? '' : `; ${reason.replace(/^(\w+ cannot represent [^:]*): [\s\S]*$/, '$1')}`
  return new GraphQLError(`Variable "$${name}" got invalid value${path ? ` at "${path}"` : ''}${why}`, {nodes: error.nodes, extensions: error.extensions})
}

/** yoga's maskError: every error of a response passes here. */
export function maskError(error: unknown): Error {
  const located = error instanceof GraphQLError ? error : undefined
  const original: unknown = located ? located.originalError : error
  // GraphQL's own errors (syntax, validation, limits, variables) and those we raise as GraphQLErrors.
  if (located && (original === undefined || original === null || original instanceof GraphQLError)) return withoutValue(located)
  if (isStayctlError(original)) return domainError(original, located)
  if (isConnectionLoss(original)) return unavailable(original, located)
  // A write outside a transaction (inTransaction says this itself) that waited out another writer's lock.
  const waited = lockWaitConflict(original)
  if (waited) return domainError(waited, located)
  if (missingTable(original) !== undefined) return masked(UNMIGRATED_MESSAGE, ERROR_CATALOGUE.UNAVAILABLE.graphql!, original, located)
  return masked(UNEXPECTED_MESSAGE, 'INTERNAL_SERVER_ERROR', original, located)
}
