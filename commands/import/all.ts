import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {color} from '../../src/cli/render.js'
import {ERROR_CATALOGUE} from '../../src/errors.js'
import type {FolderImportSummary} from '../../src/services/import/folder.js'
import {openRejectionsFile, type RejectionsFile} from '../../src/services/import/rejections-file.js'

export default class ImportAll extends BaseCommand<typeof ImportAll> {
  static override summary = 'Import a folder: users, properties, bookings, reviews and payments, in that order'
  static override description = `Imports the files of DIR named after what they hold (users.csv, properties.ndjson, bookings.json, reviews.csv, payments.csv; any of them may be missing) in dependency order, so each file finds the rows it refers to, with the same rules and modes as \`stayctl import\`. Each file gets its own error file next to it (<file>.errors.csv), with line numbers and reasons; a combined summary follows.

--atomic and --dry-run treat the whole folder as one transaction: atomic commits only if no file rejected a row; a dry run checks every file as if the ones before it had been written, and writes nothing. --max-errors applies to each file; when a file reaches it, the files after it are not read.

Exit codes: 0 all rows imported, 2 bad flags, 3 unreadable folder or file, 7 database unreachable, 8 some rows rejected.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> ./dump',
    '<%= config.bin %> <%= command.id %> ./dump --dry-run',
    '<%= config.bin %> <%= command.id %> ./dump --atomic --json',
    '<%= config.bin %> <%= command.id %> ./dump --upsert   # re-run after a crash',
  ]

  static override args = {
    dir: Args.directory({description: 'The folder holding users.*, properties.*, bookings.*, reviews.*, payments.*', required: true, exists: true}),
  }

  static override flags = {
    atomic: Flags.boolean({description: 'All or nothing, for the whole folder', exclusive: ['dry-run', 'resume']}),
    'dry-run': Flags.boolean({description: 'Validate every file, write nothing', exclusive: ['atomic', 'resume']}),
    upsert: Flags.boolean({description: 'Update existing rows (matched by natural key) instead of rejecting them'}),
    resume: Flags.boolean({description: 'Skip the rows interrupted runs of these files committed'}),
    'max-errors': Flags.integer({description: 'Stop after this many rejected rows in one file', min: 0}),
    'batch-size': Flags.integer({description: 'Rows per batch and transaction', default: 5000, min: 1, max: 100_000}),
  }

  async run(): Promise<FolderImportSummary & {errorFiles: string[]}> {
    const f = this.flags
    const showProgress = Boolean(process.stderr.isTTY) && process.env.CI !== 'true' && !this.jsonEnabled()
    const files = new Map<string, {path: string; out?: RejectionsFile}>()
    let lastDraw = 0
    const backend = await this.backend()
    let summary: FolderImportSummary
    try {
      summary = await backend.imports.folder({
        dir: this.args.dir,
        atomic: f.atomic,
        dryRun: f['dry-run'],
        upsert: f.upsert,
        resume: f.resume,
        maxErrors: f['max-errors'],
        batchSize: f['batch-size'],
        onFile: (_entity, file) => files.set(file, {path: `${file}.errors.csv`}),
        onRejected: (_entity, file, rejection) => {
          const entry = files.get(file)!
          entry.out ??= openRejectionsFile(entry.path)
          entry.out.write(rejection)
        },
        onProgress: (entity, p) => {
          const now = performance.now()
          if (!showProgress || now - lastDraw < 250) return
          lastDraw = now
          process.stderr.write(`\r${entity}: ${p.read.toLocaleString()} read, ${(p.inserted + p.updated).toLocaleString()} written, ${p.rejected} rejected   `)
        },
      })
    } finally {
      for (const entry of files.values()) await entry.out?.close()
      if (showProgress) process.stderr.write('\r\x1b[K')
    }
    const errorFiles: string[] = []
    for (const [file, entry] of files) {
      // A stale error file of an earlier run would mislead: only this run's stay.
      if (entry.out) errorFiles.push(entry.path)
      else await import('node:fs').then((fs) => fs.rmSync(`${file}.errors.csv`, {force: true}))
    }
    const verb = summary.dryRun ? 'would write' : summary.committed ? 'wrote' : 'wrote nothing of'
    for (const s of summary.files) {
      this.log(
        `${s.entity}: ${s.read} read, ${verb} ${s.inserted} new and ${s.updated} updated, ${s.rejected} rejected` +
          `${s.skipped ? `, ${s.skipped} skipped (resumed)` : ''} in ${s.seconds.toFixed(1)} s.`,
      )
      if (s.unknownColumns.length > 0) this.warn(`${s.file}: ignored columns: ${s.unknownColumns.join(', ')}`)
    }
    this.log(
      `${summary.files.length} files: ${summary.read} read, ${verb} ${summary.inserted} new and ${summary.updated} updated, ${summary.rejected} rejected in ${summary.seconds.toFixed(1)} s.`,
    )
    if (summary.stoppedEarly) this.warn(`stopped after ${f['max-errors']} rejected rows in ${summary.files.at(-1)!.file} (--max-errors)`)
    const result = {...summary, errorFiles}
    if (summary.rejected > 0) {
      this.note(color.warn(`Rejected rows, with line numbers and reasons: ${errorFiles.join(', ')}`))
      if (this.jsonEnabled()) this.logJson(result)
      this.exit(ERROR_CATALOGUE.IMPORT_REJECTED.exit)
    }
    return result
  }
}
