/**
 * The domain errors every layer speaks, and the one catalogue that maps each of them to a
 * process exit code (CLI) and to a GraphQL `extensions.code` (server and remote client).
 */

export type ErrorKind =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'UNAVAILABLE'
  | 'IMPORT_REJECTED'
  | 'DOCTOR_FAILED'
  | 'USAGE'
  | 'INTERNAL'

export const ERROR_CATALOGUE: Record<ErrorKind, {exit: number; graphql?: string; meaning: string}> = {
  VALIDATION: {exit: 3, graphql: 'BAD_USER_INPUT', meaning: 'bad input or a bad row'},
  NOT_FOUND: {exit: 4, graphql: 'NOT_FOUND', meaning: 'the thing named does not exist'},
  CONFLICT: {
    exit: 5,
    graphql: 'CONFLICT',
    meaning: 'overlap, duplicate, illegal state change or over-refund',
  },
  UNAUTHENTICATED: {exit: 6, graphql: 'UNAUTHENTICATED', meaning: 'not logged in or bad credentials'},
  FORBIDDEN: {exit: 6, graphql: 'FORBIDDEN', meaning: 'logged in but not allowed'},
  UNAVAILABLE: {exit: 7, graphql: 'SERVICE_UNAVAILABLE', meaning: 'database or server unreachable, not answering, or misconfigured'},
  IMPORT_REJECTED: {exit: 8, meaning: 'an import finished with rejected rows'},
  DOCTOR_FAILED: {exit: 9, meaning: '`db doctor` found a check that fails'},
  USAGE: {exit: 2, meaning: 'bad flags, arguments or setting values'},
  INTERNAL: {exit: 1, graphql: 'INTERNAL_SERVER_ERROR', meaning: 'anything else (a bug)'},
}

export interface ErrorOptions {
  /** What to do next, shown after the message. */
  suggestion?: string
  /** Structured details for --json output and GraphQL extensions. */
  details?: Record<string, unknown>
  cause?: unknown
}

export class StayctlError extends Error {
  readonly kind: ErrorKind
  readonly suggestion?: string
  readonly details?: Record<string, unknown>

  constructor(kind: ErrorKind, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.kind = kind
    this.suggestion = options.suggestion
    this.details = options.details
  }

  get exitCode(): number {
    return ERROR_CATALOGUE[this.kind].exit
  }
}

export class ValidationError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('VALIDATION', message, options)
  }
}

export class NotFoundError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('NOT_FOUND', message, options)
  }
}

export class ConflictError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFLICT', message, options)
  }
}

export class UnauthenticatedError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAUTHENTICATED', message, options)
  }
}

export class ForbiddenError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('FORBIDDEN', message, options)
  }
}

/** The database (or a remote server) cannot be reached or refuses us: exit 7. */
export class UnavailableError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('UNAVAILABLE', message, options)
  }
}

/** A setting or flag value that cannot be used as given (a malformed URL…): exit 2. */
export class UsageError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('USAGE', message, options)
  }
}

/**
 * A migration or seeder failed in the database: exit 1, like any failure we cannot classify,
 * but said in one line that names it and quotes the database.
 */
export class MigrationFailedError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('INTERNAL', message, options)
  }
}

export function isStayctlError(error: unknown): error is StayctlError {
  return error instanceof StayctlError
}

/** An import finished but some rows were rejected: exit 8. */
export class ImportRejectedError extends StayctlError {
  constructor(message: string, options?: ErrorOptions) {
    super('IMPORT_REJECTED', message, options)
  }
}
