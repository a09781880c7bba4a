/**
 * A real terminal for end-to-end tests: the CLI runs in a tmux pane (its own server socket,
 * no user config), the test types keys and reads the screen. The pane's command ends by
 * printing `EXIT=<code>`, so the exit code is on the screen too.
 */
import {execFileSync} from 'node:child_process'

import {bin} from './cli.js'

export const tmuxAvailable = (): boolean => {
  try {
    execFileSync('tmux', ['-V'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`

export interface Pane {
  /** Types text, then presses each of `keys` (tmux key names: Enter, C-c…). */
  type(text: string, ...keys: string[]): void
  press(...keys: string[]): void
  /** The screen as text. */
  screen(): string
  /** Waits until the screen matches `pattern` (default 15 s); the screen then. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** The exit code the command printed, once it has ended. */
  exitCode(timeoutMs?: number): Promise<number>
  /** The screen with the lines the terminal wrapped joined again (what was written, line by line). */
  text(): string
  close(): void
}

let count = 0

/** Starts `stayctl args…` in a new 120×40 pane with exactly `env` (plus PATH and TERM, without CI). */
export function startInTmux(args: string[], env: NodeJS.ProcessEnv): Pane {
  const socket = `stayctl-test-${process.pid}-${++count}`
  const tmux = (...command: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...command], {encoding: 'utf8'})
  // CI=true means "never prompt" (src/cli/prompts.ts): not for a pane that is a terminal on purpose.
  const assignments = Object.entries({...env, TERM: 'xterm-256color', PATH: process.env.PATH, CI: undefined})
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${quote(value!)}`)
  const command = `env -i ${assignments.join(' ')} ${quote(process.execPath)} ${quote(bin)} ${args.map(quote).join(' ')}; echo EXIT=$?; sleep 600`
  tmux('new-session', '-d', '-s', 'main', '-x', '120', '-y', '40', command)
  const pane: Pane = {
    type: (text, ...keys) => {
      if (text) tmux('send-keys', '-t', 'main', '-l', text)
      if (keys.length > 0) tmux('send-keys', '-t', 'main', ...keys)
    },
    press: (...keys) => void tmux('send-keys', '-t', 'main', ...keys),
    screen: () => tmux('capture-pane', '-p', '-t', 'main'),
    text: () => tmux('capture-pane', '-p', '-J', '-t', 'main'),
    async waitFor(pattern, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const screen = pane.screen()
        if (pattern.test(screen)) return screen
        if (Date.now() > until) throw new Error(`the screen never showed ${pattern}; it shows:\n${screen}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    async exitCode(timeoutMs) {
      return Number(/EXIT=(\d+)/.exec(await pane.waitFor(/EXIT=\d+/, timeoutMs))![1])
    },
    close: () => {
      try {
        tmux('kill-server')
      } catch {
        // already gone
      }
    },
  }
  return pane
}
