/**
 * GET /calendars/<token>.ics: a listing's published feed (src/services/calendar/published.ts),
 * text/calendar with ETag and Last-Modified; 304 when If-None-Match names the ETag (or, without
 * it, If-Modified-Since is not before Last-Modified); 404 for an unknown or revoked token alike.
 */
import type http from 'node:http'

import type {Db} from '../db/index.js'
import {anonymousActor} from '../services/context.js'
import {publishedFeed} from '../services/calendar/published.js'

const FEED_PATH = /^\/calendars\/([^/]+)\.ics$/

export const isCalendarPath = (path: string) => path.startsWith('/calendars/')

/** The path as the request log writes it: a feed's token is a secret, also a wrong one (a mistyped real one). */
export const loggedPath = (path: string) => (isCalendarPath(path) ? '/calendars/[token]' : path)

function matches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t.replace(/^W\//, '') === etag
  })
}

function notModified(req: http.IncomingMessage, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = req.headers['if-none-match']
  if (ifNoneMatch !== undefined) return matches(ifNoneMatch, etag)
  const since = Date.parse(req.headers['if-modified-since'] ?? '')
  return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since
}

/** Answers a request for /calendars/… (see the top of this file). */
export async function answerCalendar(req: http.IncomingMessage, res: http.ServerResponse, path: string, db: Db, closing: boolean): Promise<void> {
  const end = (status: number, headers: Record<string, string>, body = '') => {
    res.writeHead(status, {...headers, ...(closing ? {connection: 'close'} : {}), 'content-length': String(Buffer.byteLength(body))})
    res.end(req.method === 'HEAD' ? undefined : body)
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return end(405, {allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8'}, 'use GET\n')
  const token = FEED_PATH.exec(path)?.[1]
  const feed = token ? await publishedFeed({db, actor: anonymousActor(), via: 'graphql', bcryptCost: 4}, decodeURIComponent(token)) : null
  if (!feed) return end(404, {'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store'}, 'not found\n')
  const headers = {etag: feed.etag, 'last-modified': feed.lastModified.toUTCString(), 'cache-control': 'private, no-cache'}
  if (notModified(req, feed.etag, feed.lastModified)) return end(304, headers)
  return end(200, {...headers, 'content-type': 'text/calendar; charset=utf-8'}, feed.body)
}
