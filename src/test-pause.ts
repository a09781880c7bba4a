/**
 * Test-only pauses at named points between a rule's check and its write, so that race tests
 * can hold the window open on purpose instead of hoping that processes collide. Set by the
 * environment variable STAYCTL_TEST_PAUSE, a comma-separated list of `point=ms` (wait that
 * long) or `point=@epochMs` (wait until that moment: many processes started at different times
 * then leave the window together). Unset, as in every real run, a pause costs a look at an
 * empty map and one lookup of the environment, nothing else.
 *
 * `point#n=…` pauses at the n-th time this process reaches the point only (1 for the first), so
 * that a test can stop a runner at an exact step of many that pass the same point.
 *
 * With STAYCTL_TEST_PAUSE_LOG set to a file, each pause appends "<point> <pid>" to it first,
 * so a test can see which processes stand in a window (and kill one there).
 *
 * A test that runs the code in its own process can instead hold a point (holdAt): the code
 * waits there exactly until the test lets it go, and the test knows when it got there.
 */
import fs from 'node:fs'

const reached = new Map<string, number>()
/** The points held by holdAt, each for its next reach. */
const holds = new Map<string, {arrive: () => void; released: Promise<void>}>()

export async function testPause(point: string): Promise<void> {
  const hold = holds.size > 0 ? holds.get(point) : undefined
  if (hold) {
    holds.delete(point)
    hold.arrive()
    return hold.released
  }
  const spec = process.env.STAYCTL_TEST_PAUSE
  if (!spec) return
  const occurrence = (reached.get(point) ?? 0) + 1
  reached.set(point, occurrence)
  const ms = pauseOf(spec, point, Date.now(), occurrence)
  if (ms === undefined) return
  const log = process.env.STAYCTL_TEST_PAUSE_LOG
  if (log) fs.appendFileSync(log, `${point} ${process.pid}\n`)
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Holds the next reach of `point` in this process: `reached` resolves when the code stands
 * there, and the code goes on when `release` is called (also before it got there: then it does
 * not stop at all, and the hold is gone).
 */
export function holdAt(point: string): {reached: Promise<void>; release: () => void} {
  let arrive!: () => void
  let release!: () => void
  const reached = new Promise<void>((resolve) => (arrive = resolve))
  const released = new Promise<void>((resolve) => (release = resolve))
  const hold = {arrive, released}
  holds.set(point, hold)
  return {
    reached,
    release: () => {
      if (holds.get(point) === hold) holds.delete(point)
      release()
    },
  }
}

/** How long to wait at the `occurrence`-th reach of `point` under `spec`, or undefined when the spec does not name it. */
export function pauseOf(spec: string, point: string, now = Date.now(), occurrence = 1): number | undefined {
  for (const entry of spec.split(',')) {
    const [name, value = ''] = entry.split('=').map((part) => part.trim())
    const [bare, nth] = name.split('#')
    if (bare !== point || (nth !== undefined && Number(nth) !== occurrence)) continue
    const until = value.startsWith('@')
    const n = Number(until ? value.slice(1) : value)
    if (!Number.isFinite(n)) return undefined
    return Math.max(0, until ? n - now : n)
  }
  return undefined
}
