/**
 * Text no field takes: a NUL character (SQLite's driver ends a statement at it, MySQL stores
 * it, C libraries such as bcrypt stop reading at it) or a lone UTF-16 surrogate (no Unicode
 * character; it cannot be written as UTF-8). Checked where text enters: the arguments of every
 * GraphQL field (src/graphql/text-input.ts), the flags, arguments and prompts of every command
 * (src/cli/base-command.ts, prompts.ts), every field of every import row (import/fields.ts) and
 * passwords (passwords.ts). Messages name the field and never repeat the value.
 */
import {ValidationError} from '../errors.js'

/** String.prototype.isWellFormed (Node 20; ES2024, which the TypeScript lib here predates): no lone surrogate. */
const isWellFormed = (value: string): boolean => (value as unknown as {isWellFormed(): boolean}).isWellFormed()

/** What is wrong with `value` as text, or undefined when nothing is. Cheap: imports check every field of every row. */
export function textProblem(value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL character (U+0000)'
  if (!isWellFormed(value)) return 'contains a lone UTF-16 surrogate, which is no Unicode character'
  return undefined
}

/** Refuses a NUL or a lone surrogate in `value` with a ValidationError naming `field`. */
export function checkText(value: string, field: string): string {
  const problem = textProblem(value)
  if (problem) throw new ValidationError(`${field} ${problem}; remove it`, {details: {field}})
  return value
}

/**
 * Checks every string inside `value` (arrays and plain objects walked), naming each by its
 * path from `field` (input.email, where[2]).
 */
export function checkTexts(value: unknown, field: string): void {
  if (typeof value === 'string') checkText(value, field)
  else if (Array.isArray(value)) value.forEach((item, i) => checkTexts(item, `${field}[${i}]`))
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) checkTexts(item, `${field}.${key}`)
  }
}

/** An optional text field: trimmed, blank is none (null), at most `max` characters (named `label` in the message). */
export function optionalText(value: string | null | undefined, max: number, label: string, field: string): string | null {
  const text = value?.trim() || null
  if (text && text.length > max) throw new ValidationError(`${label} is longer than ${max} characters`, {details: {field}})
  return text
}
