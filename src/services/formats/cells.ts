/**
 * CSV cells that a spreadsheet would run as formulas (OWASP, "CSV Injection"): Excel,
 * LibreOffice and Google Sheets treat a cell starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return as a formula, and `=cmd|' /C calc'!A0` runs a program. Every CSV stayctl
 * writes (`export`, `list --csv`, an import's error file: writer.ts) prefixes such a cell with
 * a single quote, which spreadsheets take as "this is text" and do not show.
 *
 * `export` must also import again unchanged, so the prefix is reversible: a cell that starts
 * with a quote followed by a formula character or another quote gets the prefix as well, and
 * `import` (CSV only) removes one leading quote from exactly such cells. The two are inverse:
 * restoreCell(neutraliseCell(v)) === v for every v, and a cell that starts with a quote
 * followed by anything else (`'Tis the season`) is left alone both ways.
 */

/** The characters that make a cell a formula. */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r'])

/** Whether `text` as a cell would start a formula, or is a quoted cell that restoreCell would unquote. */
function needsQuote(text: string): boolean {
  const first = text.charAt(0)
  if (FORMULA_START.has(first)) return true
  return first === "'" && (FORMULA_START.has(text.charAt(1)) || text.charAt(1) === "'")
}

/** The cell as CSV writes it: prefixed with `'` when it would start a formula (see the file comment). */
export function neutraliseCell(text: string): string {
  return needsQuote(text) ? `'${text}` : text
}

/** The value of a cell neutraliseCell wrote: the prefix it added taken off; any other cell as it is. */
export function restoreCell(text: string): string {
  return text.charAt(0) === "'" && needsQuote(text.slice(1)) ? text.slice(1) : text
}
