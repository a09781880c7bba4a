/**
 * What bin/run.js runs (after its `--version` fast path): oclif, from the bundle (see
 * scripts/build.mjs). Commands are found through the manifest and loaded one at a time.
 */
import {execute} from '@oclif/core/execute'

/** Runs the command line of this process; `root` is the package's folder, where oclif reads package.json. */
export async function run(root: string): Promise<void> {
  await execute({dir: root})
}
