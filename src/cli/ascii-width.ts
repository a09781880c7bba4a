/**
 * string-width (how many terminal columns a string takes), which oclif's help asks for every
 * word it wraps (wrap-ansi, widest-line), with a fast path: a string of printable ASCII alone
 * (U+0020 to U+007E: no escape sequence, no control, wide or combining character) takes as many
 * columns as it has characters. string-width matches an emoji regular expression against every
 * string it measures, ~4 ms of every `--help`. scripts/build.mjs puts it in place of
 * string-width in the bundle; test/unit/ascii-width.test.ts holds it to string-width.
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

type StringWidth = (text: string, options?: object) => number

/** `stringWidth` (a string-width module: its function, or its namespace with a default) with the fast path. */
export function withAsciiFastPath(module: StringWidth | {default: StringWidth}): StringWidth & {default: StringWidth} {
  const stringWidth = typeof module === 'function' ? module : module.default
  const width = ((text: string, options?: object) =>
    typeof text === 'string' && PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text, options)) as StringWidth & {default: StringWidth}
  width.default = width
  return width
}
