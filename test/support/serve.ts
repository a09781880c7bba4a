/**
 * `stayctl serve` as a child process, the way operators run it: the built binary on a port of
 * its own choosing (--port 0), resolved once it says where it listens.
 */
import {spawn, type ChildProcess} from 'node:child_process'

import {bin} from './cli.js'

export interface Served {
  child: ChildProcess
  url: string
  base: string
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

/**
 * Starts `stayctl serve --port 0 …` and waits for the line that says where it listens. Tests
 * stop at once on SIGTERM (`--drain 0`) unless they give a --drain of their own.
 */
export function serve(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Served> {
  const drain = args.includes('--drain') ? [] : ['--drain', '0']
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...drain, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 60_000)
    child.stderr!.on('data', (chunk) => {
      stderr += chunk
      const url = /(?:GraphQL at |"url":")(http:\/\/[^\s"]+\/graphql)/.exec(stderr)?.[1]
      if (url) {
        clearTimeout(timer)
        resolve({child, url, base: url.replace(/\/graphql$/, ''), stdout: () => stdout, stderr: () => stderr, exited})
      }
    })
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening:\n${stderr}`)))
  })
}
