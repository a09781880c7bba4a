/**
 * How an error of ours reaches the caller, in one place for every command: with --json, one
 * JSON document on stdout; without, one line on stderr. base-command.ts reports our commands'
 * errors through it, usage-errors.ts the parse failures of oclif's plugin commands.
 */
import type {ErrorKind} from '../errors.js'
import {terminalText} from './terminal.js'

export interface JsonError {
  error: {code: ErrorKind; message: string; suggestion?: string; exitCode: number; details?: Record<string, unknown>}
}

/** The JSON document of an error (its keys in this order). */
export function jsonError(code: ErrorKind, message: string, exitCode: number, suggestion?: string, details?: Record<string, unknown>): JsonError {
  return {error: {code, message, exitCode, ...(suggestion ? {suggestion} : {}), ...(details ? {details} : {})}}
}

/** The line of an error on stderr: `Error: <message>; <hint>`, control characters made visible. */
export function errorLine(message: string, hint?: string): string {
  return terminalText(`Error: ${message}${hint ? `; ${hint}` : ''}\n`, false)
}
