import {Args} from '@oclif/core'

import {BaseCommand} from '../../src/cli/base-command.js'
import {ErrorFiles, ProgressLine, importModeFlags, importModes, resumable, summaryLine, writtenVerb} from '../../src/cli/import.js'
import {color} from '../../src/cli/render.js'
import {ERROR_CATALOGUE} from '../../src/errors.js'
import type {FolderImportSummary} from '../../src/services/import/folder.js'

export default class ImportAll extends BaseCommand<typeof ImportAll> {
  static override summary = 'Import a folder: users, properties, bookings, reviews, payments and blocks, in that order'
  static override description = `Imports the files of DIR named after what they hold (users.csv, properties.ndjson, bookings.json, reviews.csv, payments.csv, blocks.csv; any of them may be missing) in dependency order, so each file finds the rows it refers to, with the same rules and modes as \`stayctl import\`. Each file gets its own error file next to it (<file>.errors.csv), with line numbers and reasons; a combined summary follows.

--atomic and --dry-run treat the whole folder as one transaction: atomic commits only if no file rejected a row; a dry run checks every file as if the ones before it had been written, and writes nothing. --max-errors applies to each file; when a file reaches it, the files after it are not read.

Exit codes: 0 all rows imported, 2 bad flags, 3 unreadable folder or file, 5 another writer held the database's lock longer than a write waits (the batches committed stay; go on with --resume), 7 database unreachable, 8 some rows rejected.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> ./dump',
    '<%= config.bin %> <%= command.id %> ./dump --dry-run',
    '<%= config.bin %> <%= command.id %> ./dump --atomic --json',
    '<%= config.bin %> <%= command.id %> ./dump --upsert   # re-run after a crash',
  ]

  static override args = {
    dir: Args.directory({description: 'The folder holding users.*, properties.*, bookings.*, reviews.*, payments.*, blocks.*', required: true, exists: true}),
  }

  static override flags = importModeFlags('folder')

  async run(): Promise<FolderImportSummary & {errorFiles: string[]}> {
    const f = this.flags
    const errorFiles = new ErrorFiles()
    const progress = ProgressLine.forTerminal(this.jsonEnabled())
    /** Each file read, with its error file. */
    const files = new Map<string, string>()
    const backend = await this.backend()
    let summary: FolderImportSummary
    try {
      summary = await backend.imports.folder({
        dir: this.args.dir,
        ...importModes(f),
        onFile: (_entity, file) => files.set(file, `${file}.errors.csv`),
        onRejected: (_entity, file, rejection) => errorFiles.write(files.get(file)!, file, rejection),
        onProgress: (entity, p) => progress.draw(entity, p),
      })
    } catch (error) {
      throw resumable(error, importModes(f), this.args.dir, `${this.config.bin} import all ${this.args.dir}`)
    } finally {
      await errorFiles.finish(files.values())
      progress.clear()
    }
    const written = errorFiles.written
    const verb = writtenVerb(summary)
    for (const s of summary.files) {
      this.log(summaryLine(s, verb))
      if (s.unknownColumns.length > 0) this.warn(`${s.file}: ignored columns: ${s.unknownColumns.join(', ')}`)
    }
    this.log(
      `${summary.files.length} files: ${summary.read} read, ${verb} ${summary.inserted} new and ${summary.updated} updated, ${summary.rejected} rejected in ${summary.seconds.toFixed(1)} s.`,
    )
    if (summary.stoppedEarly) this.warn(`stopped after ${f['max-errors']} rejected rows in ${summary.files.at(-1)!.file} (--max-errors)`)
    const result = {...summary, errorFiles: written}
    if (summary.rejected > 0) {
      this.note(color.warn(`Rejected rows, with line numbers and reasons: ${written.join(', ')}`))
      if (this.jsonEnabled()) this.logJson(result)
      this.exit(ERROR_CATALOGUE.IMPORT_REJECTED.exit)
    }
    return result
  }
}
