/**
 * The session tokens of `stayctl login`, one per server (API URL), in
 * <config dir>/credentials.json: readable by its owner only (mode 0600), replaced atomically
 * under a lock (files.ts), so it is never half-written and two logins lose nothing.
 * STAYCTL_TOKEN (an API token, for CI) wins over a stored token. A token is never printed;
 * commands say only where it came from.
 */
import path from 'node:path'

import {UsageError} from '../errors.js'
import {readTextIfExists, withFileLock, writeFileAtomic} from './files.js'
import {configDir} from './paths.js'

export const CREDENTIALS_MODE = 0o600

export interface StoredSession {
  /** The session token (stay_s_…). */
  token: string
  /** Who logged in. */
  username: string
  userId: number
  /** When the server ends the session (ISO-8601). */
  expiresAt: string
  /** Its id on the server (`tokens list`). */
  tokenId?: number
  /** When it was stored. */
  savedAt: string
}

interface CredentialsFile {
  sessions: Record<string, StoredSession>
}

export function credentialsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'credentials.json')
}

/** The key of a server: its URL as the URL parser writes it (case of the host, default port…). */
export function serverKey(apiUrl: string): string {
  try {
    return new URL(apiUrl.trim()).href
  } catch {
    return apiUrl.trim()
  }
}

function parse(text: string | undefined, file: string): CredentialsFile {
  if (text === undefined) return {sessions: {}}
  try {
    const value = JSON.parse(text) as Partial<CredentialsFile> | null
    if (value && typeof value === 'object' && value.sessions && typeof value.sessions === 'object' && !Array.isArray(value.sessions)) {
      return {sessions: value.sessions}
    }
  } catch {
    // Reported below, without quoting the text: it holds tokens.
  }
  throw new UsageError(`credentials file ${file} cannot be read as stayctl credentials`, {
    suggestion: `delete it and log in again (\`stayctl login\`)`,
  })
}

function read(env: NodeJS.ProcessEnv): CredentialsFile {
  const file = credentialsFilePath(env)
  return parse(readTextIfExists(file), file)
}

async function change(env: NodeJS.ProcessEnv, fn: (credentials: CredentialsFile) => boolean): Promise<string> {
  const file = credentialsFilePath(env)
  await withFileLock(file, () => {
    const credentials = parse(readTextIfExists(file), file)
    if (fn(credentials)) writeFileAtomic(file, JSON.stringify(credentials, null, 2) + '\n', CREDENTIALS_MODE)
  })
  return file
}

/** The session stored for a server, if any. */
export function storedSession(apiUrl: string, env: NodeJS.ProcessEnv = process.env): StoredSession | undefined {
  return read(env).sessions[serverKey(apiUrl)]
}

/** Stores (or replaces) the session of a server. Returns the credentials file's path. */
export async function saveSession(apiUrl: string, session: Omit<StoredSession, 'savedAt'>, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return change(env, (credentials) => {
    credentials.sessions[serverKey(apiUrl)] = {...session, savedAt: new Date().toISOString()}
    return true
  })
}

/** Forgets the session of a server; returns it (undefined when there was none). */
export async function removeSession(apiUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<StoredSession | undefined> {
  let removed: StoredSession | undefined
  await change(env, (credentials) => {
    const key = serverKey(apiUrl)
    removed = credentials.sessions[key]
    if (!removed) return false
    delete credentials.sessions[key]
    return true
  })
  return removed
}

export type TokenSource = 'env STAYCTL_TOKEN' | 'login'

/** The token to send to a server and where it comes from: STAYCTL_TOKEN, else the stored session. */
export function resolveToken(apiUrl: string, env: NodeJS.ProcessEnv = process.env): {token: string; source: TokenSource} | undefined {
  const fromEnv = env.STAYCTL_TOKEN?.trim()
  if (fromEnv) return {token: fromEnv, source: 'env STAYCTL_TOKEN'}
  const session = storedSession(apiUrl, env)
  return session ? {token: session.token, source: 'login'} : undefined
}

/** The Bearer token for requests to `apiUrl`, if there is one (see resolveToken). */
export function tokenFor(apiUrl: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return resolveToken(apiUrl, env)?.token
}
