/**
 * Runs the built CLI (bin/run.js) as a child process, the way users and scripts do.
 * HOME and the XDG folders point into a temporary folder, so no real config is read.
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {isolatedHome} from './isolated-env.js'

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const bin = path.join(root, 'bin', 'run.js')

/**
 * Whether a command of the manifest is ours, its source in commands/, rather than one of the
 * oclif plugins' (help, autocomplete) that the build bundles beside ours (scripts/build.mjs).
 */
export function isOwnCommand(command: {relativePath: string[]}): boolean {
  const [, ...rest] = command.relativePath
  return fs.existsSync(path.join(root, ...rest).replace(/\.js$/, '.ts'))
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** A temporary home with empty XDG folders, for one test file; passwords hashed at the lowest cost. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return isolatedHome({STAYCTL_BCRYPT_COST: '4', ...extra})
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  input?: string
  timeoutMs?: number
  /** Options for node itself, before the script (e.g. ['--import', preload]). */
  nodeArgs?: string[]
}

/** Runs the built CLI to its end (killed after `timeoutMs`, default 60 s). */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return startCli(args, {...options, timeoutMs: options.timeoutMs ?? 60_000}).result
}

export interface StartedCli {
  child: ReturnType<typeof spawn>
  /** Settles when the process ended (also when killed: code -1). */
  result: Promise<CliResult>
}

/** Starts the built CLI and returns at once, for tests that stop or kill it on the way. */
export function startCli(args: string[], options: RunOptions = {}): StartedCli {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin, ...args], {
    env: options.env ?? isolatedEnv(),
    stdio: 'pipe',
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code: code ?? -1, stdout, stderr})
    })
  })
  child.stdin.end(options.input ?? '')
  return {child, result}
}
