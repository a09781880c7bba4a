/**
 * Fetching another channel's feed: http and https only, a timeout over the whole exchange, a
 * size limit on the body (read as it arrives, never buffered beyond it), and a conditional GET
 * with what the last fetch answered (ETag, Last-Modified): a 304 means nothing to do.
 */
import {lookup} from 'node:dns/promises'
import {isIP} from 'node:net'

import {ForbiddenError, UnavailableError, ValidationError} from '../../errors.js'

export const DEFAULT_FETCH_TIMEOUT_MS = 15_000
export const DEFAULT_FETCH_MAX_BYTES = 5 * 1024 * 1024

export interface FetchOptions {
  timeoutMs?: number
  maxBytes?: number
  etag?: string | null
  lastModified?: string | null
  /**
   * Refuse hosts that are, or resolve to, loopback, private, link-local or unspecified
   * addresses, also after a redirect: a server must not fetch its own network for a caller
   * who is not an admin (the problems of a feed quote its lines).
   */
  publicOnly?: boolean
}

const MAX_REDIRECTS = 5

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

/** Whether an IP address is loopback, private, link-local, shared (CGNAT) or unspecified. */
export function isPrivateAddress(address: string): boolean {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address)
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])]
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
  }
  const v6 = address.toLowerCase()
  return v6 === '::' || v6 === '::1' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6)
}

async function checkPublic(href: string): Promise<void> {
  const host = new URL(href).hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, {all: true})).map((a) => a.address)
  } catch {
    throw new UnavailableError(`GET ${showUrl(href)} failed: cannot resolve ${host}`, {suggestion: 'check the URL', details: {feed: showUrl(href)}})
  }
  const inside = addresses.find(isPrivateAddress)
  if (inside) throw new ForbiddenError(`${showUrl(href)} is on a private network (${inside}); only an admin may import a feed from there`)
}

/** The response of GET href, redirects followed (each checked when publicOnly). */
async function get(href: string, headers: Record<string, string>, signal: AbortSignal, publicOnly: boolean): Promise<Response> {
  let at = href
  for (let hops = 0; ; hops++) {
    if (publicOnly) await checkPublic(at)
    const response = await fetch(at, {headers, signal, redirect: publicOnly ? 'manual' : 'follow'})
    const location = response.headers.get('location')
    if (!publicOnly || response.status < 300 || response.status > 399 || response.status === 304 || !location) return response
    if (hops >= MAX_REDIRECTS) throw new UnavailableError(`GET ${showUrl(href)}: more than ${MAX_REDIRECTS} redirects`, {details: {feed: showUrl(href)}})
    at = checkFeedUrl(new URL(location, at).href)
  }
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
    const response = await get(href, headers, signal, Boolean(options.publicOnly))
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
    if (error instanceof ValidationError || error instanceof UnavailableError || error instanceof ForbiddenError) throw error
    const timedOut = signal.aborted
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
    throw new UnavailableError(
      timedOut ? `GET ${showUrl(href)} took over ${timeoutMs} ms; gave up` : `GET ${showUrl(href)} failed: ${cause}`,
      {suggestion: timedOut ? 'try again later, or raise --fetch-timeout' : 'check the URL and the network', details: {feed: showUrl(href)}},
    )
  }
}
