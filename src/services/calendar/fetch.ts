/**
 * Fetching another channel's feed: http and https only, a timeout over the whole exchange, a
 * size limit on the body (read as it arrives, never buffered beyond it), and a conditional GET
 * with what the last fetch answered (ETag, Last-Modified): a 304 means nothing to do.
 */
import {UnavailableError, ValidationError} from '../../errors.js'

export const DEFAULT_FETCH_TIMEOUT_MS = 15_000
export const DEFAULT_FETCH_MAX_BYTES = 5 * 1024 * 1024

export interface FetchOptions {
  timeoutMs?: number
  maxBytes?: number
  etag?: string | null
  lastModified?: string | null
}

export type Fetched = {notModified: true} | {notModified: false; text: string; etag: string | null; lastModified: string | null}

/** A feed URL: absolute, http or https, at most 2048 characters; its normal form. */
export function checkFeedUrl(value: string, field = 'url'): string {
  const text = String(value ?? '').trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ValidationError(`${field} "${text}" is no URL; give the feed's full address (https://…)`, {details: {field}})
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError(`${field} must be an http or https URL, got ${url.protocol}`, {details: {field}})
  }
  if (url.href.length > 2048) throw new ValidationError(`${field} is longer than 2048 characters`, {details: {field}})
  return url.href
}

/** The feed's URL without its secret parts (query and user info), for messages. */
export function showUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search ? '?…' : ''}`
  } catch {
    return url
  }
}

function checkLimits(options: FetchOptions): {timeoutMs: number; maxBytes: number} {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS
  const maxBytes = options.maxBytes ?? DEFAULT_FETCH_MAX_BYTES
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new ValidationError(`timeout must be 1 to 600000 ms, got ${options.timeoutMs}`, {details: {field: 'timeoutMs'}})
  }
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > 100 * 1024 * 1024) {
    throw new ValidationError(`max bytes must be 1 to 104857600, got ${options.maxBytes}`, {details: {field: 'maxBytes'}})
  }
  return {timeoutMs, maxBytes}
}

/** The body, read chunk by chunk, refused as soon as it passes maxBytes. */
async function readLimited(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN)
  const tooBig = () => new ValidationError(`the feed at ${showUrl(url)} is over ${maxBytes} bytes; raise --max-bytes if it is right`, {details: {field: 'maxBytes'}})
  if (declared > maxBytes) throw tooBig()
  const chunks: Uint8Array[] = []
  let size = 0
  if (response.body) {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength
      if (size > maxBytes) throw tooBig()
      chunks.push(chunk)
    }
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** GETs a feed (see the top of this file). Network failures, timeouts and HTTP errors: UnavailableError (exit 7). */
export async function fetchFeed(url: string, options: FetchOptions = {}): Promise<Fetched> {
  const href = checkFeedUrl(url)
  const {timeoutMs, maxBytes} = checkLimits(options)
  const headers: Record<string, string> = {accept: 'text/calendar, text/plain;q=0.5, */*;q=0.1', 'user-agent': 'stayctl-calendar-sync'}
  if (options.etag) headers['if-none-match'] = options.etag
  if (options.lastModified) headers['if-modified-since'] = options.lastModified
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    const response = await fetch(href, {headers, signal, redirect: 'follow'})
    if (response.status === 304) return {notModified: true}
    if (!response.ok) {
      throw new UnavailableError(`GET ${showUrl(href)} answered ${response.status} ${response.statusText}`.trim(), {
        suggestion: 'check the feed URL in the other channel',
        details: {feed: showUrl(href)},
      })
    }
    const text = await readLimited(response, maxBytes, href)
    return {notModified: false, text, etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified')}
  } catch (error) {
    if (error instanceof ValidationError || error instanceof UnavailableError) throw error
    const timedOut = signal.aborted
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
    throw new UnavailableError(
      timedOut ? `GET ${showUrl(href)} took over ${timeoutMs} ms; gave up` : `GET ${showUrl(href)} failed: ${cause}`,
      {suggestion: timedOut ? 'try again later, or raise --fetch-timeout' : 'check the URL and the network', details: {feed: showUrl(href)}},
    )
  }
}
