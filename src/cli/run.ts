/**
 * What bin/run.js runs (after its `--version` fast path): oclif, from the bundle (see
 * scripts/build.mjs). Commands are found through the manifest and loaded one at a time. Our
 * commands report their own errors (base-command.ts); what reaches this runner is our hooks'
 * (not-found.ts: a command line naming no command), reported as ours, or oclif's: a parse
 * failure of a plugin's command (help, autocomplete) becomes our usage error (usage-errors.ts,
 * loaded only then), anything else goes to oclif's handler, as oclif's `execute` does.
 */
import {flush} from '@oclif/core/flush'
import {handle} from '@oclif/core/handle'
import {run as runOclif} from '@oclif/core/run'

/** Runs the command line of this process; `root` is the package's folder, where oclif reads package.json. */
export async function run(root: string): Promise<void> {
  const argv = process.argv.slice(2)
  try {
    await runOclif(argv, root)
    await flush()
  } catch (error) {
    const {reportForeignUsageError} = await import('./usage-errors.js')
    if (!(await reportForeignUsageError(error, argv, root))) await handle(error as Error)
  }
}
