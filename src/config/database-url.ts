/**
 * Parsing and masking of database URLs. Two families are understood:
 *   mysql://user:pass@host:port/db   (also mariadb://; driven by mysql2)
 *   sqlite:<path>, sqlite:///abs/path, sqlite::memory:
 */
import path from 'node:path'

import {UsageError} from '../errors.js'

export type DatabaseTarget =
  | {
      dialect: 'mysql'
      host: string
      port: number
      user: string
      password: string
      database: string
      /** Query parameters, passed on to mysql2 (e.g. ssl, connectTimeout). */
      params: Record<string, string>
      /** The URL with its password replaced by ****. */
      display: string
    }
  | {
      dialect: 'sqlite'
      /** Absolute path, or ':memory:'. */
      storage: string
      display: string
    }

/** How users set the database URL, for messages that have no more precise hint. */
export const DATABASE_URL_SETTING = '--database-url / STAYCTL_DATABASE_URL / DATABASE_URL'

/** A password in a URL (group 2), and one in `user:pass@host` without a scheme (group 3). */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^\s/]*)(@)/gi
const BARE_PASSWORD = /(^|[\s"'(])([^\s:/@"'()]+:)([^\s/"']+)(@)/g

/**
 * Replaces the password of any URL-looking text with ****, for messages and logs. The
 * password runs to the last "@" before the path, as in URL parsing, so an unencoded "@"
 * inside it is masked too; `user:pass@host/db` typed without its scheme is masked as well.
 */
export function maskUrl(text: string): string {
  return text.replace(URL_PASSWORD, '$1****$3').replace(BARE_PASSWORD, '$1$2****$4')
}

/**
 * Whether `text` holds a password that maskUrl would hide (an empty one, `user:@host`, is none):
 * the one test of "this value is a secret" for the warnings about where it was typed.
 */
export function carriesPassword(text: string): boolean {
  return [...text.matchAll(URL_PASSWORD)].some((match) => match[2] !== '') || text.search(BARE_PASSWORD) !== -1
}

export function parseDatabaseUrl(raw: string, settingHint = DATABASE_URL_SETTING): DatabaseTarget {
  const value = raw.trim()
  const fail = (reason: string): never => {
    throw new UsageError(`invalid database URL "${maskUrl(value)}": ${reason}`, {
      suggestion: `set ${settingHint} to mysql://user:pass@host:3306/db or sqlite:<path>`,
    })
  }

  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase()
  if (!scheme) fail('it has no scheme')

  if (scheme === 'sqlite' || scheme === 'sqlite3') {
    let rest = value.slice(scheme!.length + 1)
    if (rest.startsWith('//')) rest = rest.slice(2)
    rest = decodeURIComponent(rest.split('?')[0])
    if (rest === '') fail('no file path after "sqlite:"')
    if (rest === ':memory:') return {dialect: 'sqlite', storage: ':memory:', display: 'sqlite::memory:'}
    const storage = path.resolve(rest.startsWith('~/') ? path.join(process.env.HOME ?? '', rest.slice(2)) : rest)
    return {dialect: 'sqlite', storage, display: `sqlite:${storage}`}
  }

  if (scheme === 'mysql' || scheme === 'mariadb') {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return fail('it is not a well-formed URL')
    }
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''))
    if (!url.hostname) fail('no host')
    if (!database) fail('no database name after the host (…:3306/<database>)')
    if (database.includes('/')) fail(`"${database}" is not a database name`)
    const port = url.port ? Number(url.port) : 3306
    const params: Record<string, string> = {}
    for (const [k, v] of url.searchParams) params[k] = v
    return {
      dialect: 'mysql',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port,
      user: decodeURIComponent(url.username || 'root'),
      password: decodeURIComponent(url.password),
      database,
      params,
      display: maskUrl(value),
    }
  }

  return fail(`unknown scheme "${scheme}:"; stayctl speaks mysql:// (MySQL, MariaDB) and sqlite:`)
}
