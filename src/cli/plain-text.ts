/**
 * oclif's help renders every description, summary and example it prints as an EJS template
 * (for `<%= config.bin %>`), and EJS compiles each one into a new function: most have no tag at
 * all, and their rendering is the text itself. scripts/build.mjs makes oclif's render return
 * such a text as it is; test/unit/plain-text.test.ts holds that to EJS's own rendering.
 */

/** Whether EJS would render `text` as itself: a string without any of EJS's delimiters (`<%` opens a tag; a `%>` outside one is dropped). */
export function isPlainText(text: unknown): text is string {
  return typeof text === 'string' && !text.includes('<%') && !text.includes('%>')
}
