/**
 * The one GraphQL client of stayctl (graphql-request underneath): the Bearer token, a timeout
 * per attempt, retries with backoff for requests the caller marks idempotent, and the mapping
 * of everything that can go wrong back to the domain errors of src/errors.ts, so a remote run
 * fails with the same message, suggestion and exit code as a local one:
 *
 *   GraphQL error with extensions.kind (a stayctl server)   → that kind, message, suggestion, details
 *   extensions.code BAD_USER_INPUT, NOT_FOUND, …           → the catalogue's kind for that code
 *   GRAPHQL_VALIDATION_FAILED / PARSE_FAILED, HTTP 413,
 *   or no code at all (a variable GraphQL cannot coerce)  → VALIDATION (the request is refused as asked)
 *   SERVICE_UNAVAILABLE, HTTP 5xx/429, refused, timeout    → UNAVAILABLE (exit 7)
 *   HTTP 401 / 403 without a GraphQL body                  → UNAUTHENTICATED / FORBIDDEN
 *   anything else (a masked server bug)                    → INTERNAL
 *
 * The token never appears in a message: it is scrubbed from whatever the server says.
 */
import {ClientError, GraphQLClient} from 'graphql-request'

import {maskUrl} from '../config/database-url.js'
import {
  ConflictError,
  ERROR_CATALOGUE,
  ForbiddenError,
  ImportRejectedError,
  NotFoundError,
  StayctlError,
  UnauthenticatedError,
  UnavailableError,
  UsageError,
  ValidationError,
  type ErrorKind,
  type ErrorOptions,
} from '../errors.js'

export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_RETRIES = 2

export interface ClientOptions {
  /** The server's GraphQL endpoint, e.g. https://admin.example.com/graphql. */
  url: string
  /** Session or API token, sent as `Authorization: Bearer …`. */
  token?: string
  /** Per attempt, including reading the answer (default 30 s). */
  timeoutMs?: number
  /** Extra attempts for idempotent requests (default 2). */
  retries?: number
  /** First backoff in ms, doubled per retry with jitter (default 250); tests make it small. */
  backoffMs?: number
  /** The fetch to use (tests). */
  fetch?: typeof fetch
}

export interface RequestOptions {
  /**
   * Safe to send again: a read, or a mutation that carries an idempotency key. Only these are
   * retried, and only after an UNAVAILABLE failure (the server may not have seen them).
   */
  idempotent?: boolean
  /** Send this token instead of the client's (logout of a given session). */
  token?: string
}

export interface RemoteClient {
  url: string
  request<T>(document: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<T>
}

interface WireError {
  message?: unknown
  extensions?: {code?: unknown; kind?: unknown; suggestion?: unknown; details?: unknown}
}

/** GraphQL codes of a stayctl server (src/graphql/errors.ts) and of GraphQL itself → kinds. */
const KIND_OF_CODE: Record<string, ErrorKind> = {
  ...Object.fromEntries(
    (Object.entries(ERROR_CATALOGUE) as [ErrorKind, {graphql?: string}][])
      .filter(([kind, entry]) => entry.graphql && kind !== 'INTERNAL')
      .map(([kind, entry]) => [entry.graphql!, kind]),
  ),
  GRAPHQL_VALIDATION_FAILED: 'VALIDATION',
  GRAPHQL_PARSE_FAILED: 'VALIDATION',
  PAYLOAD_TOO_LARGE: 'VALIDATION',
  INTERNAL_SERVER_ERROR: 'INTERNAL',
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
  EPIPE: 'the connection was closed',
  UND_ERR_SOCKET: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the server sent no answer in time',
  UND_ERR_BODY_TIMEOUT: 'the server stopped sending its answer',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host',
}

const isKind = (value: unknown): value is ErrorKind => typeof value === 'string' && value in ERROR_CATALOGUE

const CLASS_OF_KIND: Partial<Record<ErrorKind, new (message: string, options?: ErrorOptions) => StayctlError>> = {
  VALIDATION: ValidationError,
  NOT_FOUND: NotFoundError,
  CONFLICT: ConflictError,
  UNAUTHENTICATED: UnauthenticatedError,
  FORBIDDEN: ForbiddenError,
  UNAVAILABLE: UnavailableError,
  IMPORT_REJECTED: ImportRejectedError,
  USAGE: UsageError,
}

/** The domain error of `kind`, of its own class where there is one (so instanceof works as locally). */
export function domainError(kind: ErrorKind, message: string, options: ErrorOptions = {}): StayctlError {
  const Class = CLASS_OF_KIND[kind]
  return Class ? new Class(message, options) : new StayctlError(kind, message, options)
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as {cause?: unknown}).cause, depth += 1) {
    const code = (e as {code?: unknown}).code
    if (typeof code === 'string') return code
  }
  return undefined
}

/** The innermost message of an error's causes ("fetch failed" says less than what caused it). */
function rootMessage(error: unknown): string {
  let e = error as {message?: unknown; cause?: unknown}
  for (let depth = 0; e.cause && typeof e.cause === 'object' && depth < 5; depth += 1) e = e.cause as typeof e
  return String(e.message ?? error)
}

function isTimeout(error: unknown): boolean {
  const name = (error as {name?: unknown})?.name
  return name === 'TimeoutError' || name === 'AbortError'
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`
}

/** Where requests go, as errors name it. */
interface Endpoint {
  /** The URL with any password masked. */
  shownUrl: string
  timeoutMs: number
}

const UNREACHABLE = 'check the URL (--api, STAYCTL_API_URL or the profile) and that `stayctl serve` runs there'

/**
 * Masks the tokens a request carried (the client's, or one given for that request) and URL
 * passwords, and keeps what the server said on one line (errors are one line on stderr).
 */
function scrubber(secrets: string[]): (text: string) => string {
  return (text) => maskUrl(secrets.reduce((t, secret) => t.split(secret).join('****'), text)).replace(/\s*[\r\n]+\s*/g, ' ')
}

function httpError(at: Endpoint, status: number, type: string): StayctlError {
  const what = `the server at ${at.shownUrl} answered HTTP ${status}`
  if (status === 401) return new UnauthenticatedError(`${what} (not authenticated)`, {suggestion: 'log in again (stayctl login) or set STAYCTL_TOKEN'})
  if (status === 403) return new ForbiddenError(`${what} (forbidden)`)
  if (status === 413) return new ValidationError(`${what}: the request is too large`)
  if (status === 429 || status >= 500) return new UnavailableError(`${what}; try again later`)
  if (status >= 200 && status < 300) {
    return new UnavailableError(`${at.shownUrl} did not answer as a GraphQL server (content type "${type || 'none'}")`, {suggestion: UNREACHABLE})
  }
  return new UnavailableError(`${what}, not a GraphQL answer`, {suggestion: UNREACHABLE})
}

function fromGraphQL(at: Endpoint, error: WireError, status: number, more: number, scrub: (text: string) => string): StayctlError {
  const ext = error.extensions ?? {}
  const code = typeof ext.code === 'string' ? ext.code : undefined
  // Without a code: GraphQL refused the request itself (a variable of the wrong type, a value
  // outside an enum); execution errors of a stayctl server always carry one.
  const kind: ErrorKind = isKind(ext.kind) ? ext.kind : code ? (KIND_OF_CODE[code] ?? 'INTERNAL') : status === 401 ? 'UNAUTHENTICATED' : 'VALIDATION'
  let message = scrub(typeof error.message === 'string' && error.message !== '' ? error.message : `GraphQL error ${code ?? ''}`.trim())
  if (kind === 'INTERNAL') message = `the server at ${at.shownUrl} failed: ${message}`
  if (more > 0) message += ` (and ${more} more error${more === 1 ? '' : 's'})`
  const suggestion =
    typeof ext.suggestion === 'string'
      ? scrub(ext.suggestion)
      : kind === 'INTERNAL'
        ? 'the server logged what went wrong; ask its operator'
        : undefined
  const details = ext.details && typeof ext.details === 'object' ? (ext.details as Record<string, unknown>) : undefined
  return domainError(kind, message, {suggestion, details})
}

function toDomainError(at: Endpoint, error: unknown, scrub: (text: string) => string): StayctlError {
  if (error instanceof StayctlError) return error
  if (error instanceof ClientError) {
    const errors = (error.response.errors ?? []) as WireError[]
    if (errors.length > 0) return fromGraphQL(at, errors[0], error.response.status, errors.length - 1, scrub)
    return httpError(at, error.response.status, error.response.headers?.get('content-type') ?? '')
  }
  if (isTimeout(error)) {
    return new UnavailableError(`the server at ${at.shownUrl} did not answer within ${seconds(at.timeoutMs)}`, {
      suggestion: 'try again later, or allow more time with --timeout',
    })
  }
  const code = networkCode(error)
  if (code || error instanceof TypeError) {
    const reason = (code && NETWORK_REASONS[code]) ?? (code ? `${code} (${scrub(rootMessage(error))})` : scrub(rootMessage(error)))
    return new UnavailableError(`cannot reach the stayctl server at ${at.shownUrl}: ${reason}`, {suggestion: UNREACHABLE})
  }
  return new StayctlError('INTERNAL', `request to ${at.shownUrl} failed: ${scrub(String((error as Error)?.message ?? error))}`)
}

/**
 * The fetch graphql-request uses: answers that are not GraphQL (an HTML error page, a proxy's
 * 502) become errors here, by their HTTP status, before graphql-request tries to parse them.
 */
function checkedFetch(at: Endpoint, baseFetch: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init)
    const type = response.headers.get('content-type') ?? ''
    if (/json/i.test(type)) return response
    await response.body?.cancel().catch(() => {})
    throw httpError(at, response.status, type)
  }
}

/** fetch would refuse a token that cannot be a header value with a message that quotes the whole header, token included. */
function checkTokens(tokens: (string | undefined)[]): void {
  for (const t of tokens) {
    if (t !== undefined && !/^[\x21-\x7e]+$/.test(t)) {
      throw new UsageError('the token holds characters no token has (a space, a line break or a non-ASCII character)', {
        suggestion: 'check STAYCTL_TOKEN (or log in again with `stayctl login`)',
      })
    }
  }
}

export function createClient(options: ClientOptions): RemoteClient {
  const url = options.url
  const at: Endpoint = {shownUrl: maskUrl(url), timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS}
  const retries = options.retries ?? DEFAULT_RETRIES
  const backoffMs = options.backoffMs ?? 250
  const token = options.token
  const client = new GraphQLClient(url, {
    fetch: checkedFetch(at, options.fetch ?? globalThis.fetch),
    headers: token ? {authorization: `Bearer ${token}`} : {},
  })

  return {
    url,
    async request<T>(document: string, variables: Record<string, unknown> = {}, requestOptions: RequestOptions = {}): Promise<T> {
      const attempts = requestOptions.idempotent ? retries + 1 : 1
      const own = requestOptions.token
      checkTokens([token, own])
      const requestHeaders = own ? {authorization: `Bearer ${own}`} : undefined
      const scrub = scrubber([token, own].filter((t): t is string => Boolean(t)))
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await client.request<T>({document, variables, requestHeaders, signal: AbortSignal.timeout(at.timeoutMs)})
        } catch (caught) {
          const error = toDomainError(at, caught, scrub)
          if (attempt >= attempts || error.kind !== 'UNAVAILABLE') throw error
          const wait = backoffMs * 2 ** (attempt - 1)
          await new Promise((resolve) => setTimeout(resolve, wait / 2 + Math.random() * wait))
        }
      }
    },
  }
}
