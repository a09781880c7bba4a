/**
 * Passwords: checked (8 characters to 72 bytes: bcrypt ignores what lies beyond 72 bytes, so
 * longer ones are refused rather than silently cut) and hashed with bcrypt off the main thread.
 */
import type bcryptModule from 'bcrypt'

import {ValidationError} from '../errors.js'
import {checkText, textProblem} from './text.js'

/** bcrypt, a native module, loaded at its first use: commands that hash and compare nothing do not load it. */
export async function loadBcrypt(): Promise<typeof bcryptModule> {
  return (await import('bcrypt')).default
}

export const MIN_PASSWORD_CHARS = 8
export const MAX_PASSWORD_BYTES = 72

export function checkPassword(password: string, field = 'password'): void {
  // bcrypt stops reading at a NUL: "secret-1\0anything" would be "secret-1".
  checkText(password, field)
  if ([...password].length < MIN_PASSWORD_CHARS) {
    throw new ValidationError(`${field} must have at least ${MIN_PASSWORD_CHARS} characters`, {details: {field}})
  }
  const bytes = Buffer.byteLength(password, 'utf8')
  if (bytes > MAX_PASSWORD_BYTES) {
    throw new ValidationError(
      `${field} is ${bytes} bytes long; bcrypt uses only the first ${MAX_PASSWORD_BYTES}, so longer passwords are refused`,
      {details: {field}},
    )
  }
}

export async function hashPassword(password: string, cost: number): Promise<string> {
  checkPassword(password)
  return (await loadBcrypt()).hash(password, cost)
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES || textProblem(password)) return false
  return (await loadBcrypt()).compare(password, hash)
}

/** A hash no password matches, for erased accounts. */
export const UNUSABLE_PASSWORD_HASH = '!erased'
