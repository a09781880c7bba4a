/**
 * What may reach the terminal: colour only where it is wanted, and no control characters
 * from data. A name holding `\e[2J` (clear the screen) or `\e]0;…\a` (retitle the window),
 * printed as it is, would act on the terminal of whoever lists it. Kept small (no chalk, no
 * tables): the base command of every command loads it.
 */

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY)
}

/** C0 controls but tab and line feed (ESC, BEL, backspace, CR…), DEL and the C1 controls (8-bit CSI, OSC…). */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** `text` without control characters other than tab and line feed. */
export function withoutControls(text: string): string {
  return text.replace(CONTROLS, '')
}

/** SGR sequences (colours, bold, dim: what chalk and cli-table3 write), CRLF, or any control character. */
// eslint-disable-next-line no-control-regex
const SGR_OR_CONTROL = /\u001b\[[0-9;]*m|\r\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/**
 * Text as it may reach a terminal: control characters removed, except line feeds, tabs, CRLF
 * line ends (CSV) and, while colour is on, colour sequences. Other escape sequences lose
 * their ESC and show as plain text ("[2J").
 */
export function terminalText(text: string, colour = colorEnabled()): string {
  return text.replace(SGR_OR_CONTROL, (match) => (match === '\r\n' || (colour && match.length > 1) ? match : ''))
}
