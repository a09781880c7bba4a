/**
 * The order oclif gives a plugin's commands (Plugin.load sorts them by id with
 * String.prototype.localeCompare), without ICU: the first localeCompare of a process builds
 * ICU's collator, ~6 ms of every start-up. For ids of lower-case letters, digits, ':' and '-'
 * (stayctl's, and the oclif plugins' we bundle) the collation is a comparison character by
 * character in the order - : 0-9 a-z (the root collation's primary weights: punctuation, then
 * digits, then letters); any other id is compared by localeCompare itself. scripts/build.mjs
 * puts it in place of oclif's call; test/unit/command-order.test.ts holds it to localeCompare.
 */
const SIMPLE_ID = /^[a-z0-9:-]*$/

/** ':' as '.', which sorts between '-' and '0' by code unit, as ':' does in the collation. */
const collationKey = (id: string) => id.replaceAll(':', '.')

/** localeCompare's answer for two command ids: negative, zero or positive. */
export function compareCommandIds(a: string, b: string): number {
  if (!SIMPLE_ID.test(a) || !SIMPLE_ID.test(b)) return a.localeCompare(b)
  const x = collationKey(a)
  const y = collationKey(b)
  return x < y ? -1 : x > y ? 1 : 0
}
