/**
 * Test-only pauses at named points between a rule's check and its write, so that race tests
 * can hold the window open on purpose instead of hoping that processes collide. Set by the
 * environment variable STAYCTL_TEST_PAUSE, a comma-separated list of `point=ms` (wait that
 * long) or `point=@epochMs` (wait until that moment: many processes started at different times
 * then leave the window together). Unset, as in every real run, a pause costs one lookup of
 * the environment and nothing else.
 *
 * With STAYCTL_TEST_PAUSE_LOG set to a file, each pause appends "<point> <pid>" to it first,
 * so a test can see which processes stand in a window (and kill one there).
 */
import fs from 'node:fs'

export async function testPause(point: string): Promise<void> {
  const spec = process.env.STAYCTL_TEST_PAUSE
  if (!spec) return
  const ms = pauseOf(spec, point)
  if (ms === undefined) return
  const log = process.env.STAYCTL_TEST_PAUSE_LOG
  if (log) fs.appendFileSync(log, `${point} ${process.pid}\n`)
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
}

/** How long to wait at `point` under `spec`, or undefined when the point is not named. */
export function pauseOf(spec: string, point: string, now = Date.now()): number | undefined {
  for (const entry of spec.split(',')) {
    const [name, value = ''] = entry.split('=').map((part) => part.trim())
    if (name !== point) continue
    const until = value.startsWith('@')
    const n = Number(until ? value.slice(1) : value)
    if (!Number.isFinite(n)) return undefined
    return Math.max(0, until ? n - now : n)
  }
  return undefined
}
