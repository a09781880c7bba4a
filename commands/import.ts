import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../src/cli/base-command.js'
import {ErrorFiles, INTERRUPTED_EXIT, ProgressLine, capHeapGrowth, importModeFlags, importModes, interruptOnSigint, interruptedLine, resumable, summaryLine} from '../src/cli/import.js'
import {ERROR_CATALOGUE} from '../src/errors.js'
import type {ImportSummary} from '../src/services/import/index.js'

export default class Import extends BaseCommand<typeof Import> {
  static override summary = 'Import users, properties, bookings, reviews, payments or blocks from CSV, JSON or NDJSON'
  static override description = `Streams a file (or stdin with "-") into the database in batches, validating every row with the same rules as the single-row commands. Good rows are committed batch by batch; rejected rows are written, with their line number, field and reason, to the error file (--errors, CSV or .ndjson; with the rows as read, so no more readable than the input file), and the command exits 8. --atomic commits all or nothing; --dry-run validates everything and writes nothing; --upsert updates rows that exist (matched by natural key) instead of rejecting them; --resume skips what an interrupted run of the same file already committed, and reports the whole file (the rows the interrupted run wrote and rejected included: its rejected rows go to the error file again, read from the file, since the database keeps only their line, field and reason, never a row, which may hold a password); after a run that finished, --resume imports nothing and reports the file as it was.

CSV follows RFC 4180 (quoted fields with commas, quotes and newlines; CRLF or LF; a UTF-8 BOM) with a header row. A cell that starts with ' followed by = + - @ tab, CR or another ' loses that first ' (the quote \`stayctl export\` puts before cells a spreadsheet would run as formulas); other cells are read as they are. Columns map to fields by name (first_name, firstName and "First Name" are the same); --map col=field for others. Users may carry bcrypt hashes (kept) or plain passwords (hashed in parallel). Date-times (paymentDate, createdAt) are ISO 8601: a date (YYYY-MM-DD, midnight UTC) or a date-time with Z or an offset (2027-06-15T10:30:00Z, 2027-06-15T12:30:00+02:00); anything else, a date-time without a zone included, rejects the row.

Rows refer to other rows by natural key or id: a property's owner (owner: id, username or email; or ownerId); a booking's property (property: id or name, with propertyOwner when two hosts use the name) and guest; a review's property and reviewer; a payment's booking (booking: id or externalRef, or property, guest, startDate and endDate) and a refund's charge (refundOf: its transactionId, earlier in the file or in the database); a block's property. Natural keys for --upsert: users username, properties owner + name, bookings externalRef (else property + guest + dates), reviews property + reviewer, payments transactionId, blocks property + source + sourceUid (else property + dates). The files \`stayctl export\` writes import as they are: an import takes state, not requests, so past stays and stays of unlisted listings or deactivated guests go in (only what no database may hold is refused: overlapping live stays and blocks, a host's stay at their own listing, charges above a total, refunds above a charge); \`stayctl import all DIR\` imports a folder of them in dependency order.

Exit codes: 0 all rows imported, 2 bad flags, 3 unreadable file or missing column, 5 another writer held the database's lock longer than a write waits (the batches committed stay; go on with --resume), 7 database unreachable, 8 some rows rejected, 130 interrupted (Ctrl-C: the batches in flight commit; go on with --resume).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> users users.csv',
    '<%= config.bin %> <%= command.id %> users - --format ndjson < users.ndjson',
    '<%= config.bin %> <%= command.id %> users staff.csv --map mail=email --map login=username --errors rejected.csv',
    '<%= config.bin %> <%= command.id %> users users.csv --atomic --json',
    '<%= config.bin %> <%= command.id %> users users.csv --upsert   # re-run after a crash: ends with exactly the file\'s rows',
    '<%= config.bin %> <%= command.id %> bookings bookings.csv   # property,propertyOwner,guest,startDate,endDate,status,externalRef',
    '<%= config.bin %> <%= command.id %> all ./dump   # users.*, properties.*, bookings.*, reviews.*, payments.*, blocks.* in that order',
  ]

  static override args = {
    entity: Args.string({description: 'What the file holds', required: true, options: ['users', 'properties', 'bookings', 'reviews', 'payments', 'blocks']}),
    file: Args.string({description: 'The file, or - for stdin', required: true}),
  }

  static override flags = {
    format: Flags.string({description: 'File format (default: from the extension)', options: ['csv', 'json', 'ndjson']}),
    map: Flags.string({description: 'Column to field, e.g. --map mail=email (repeatable)', multiple: true}),
    errors: Flags.string({description: 'Write rejected rows here (.csv or .ndjson); default <file>.errors.csv'}),
    ...importModeFlags('file'),
  }

  async run(): Promise<ImportSummary> {
    const {entity, file} = this.args
    const f = this.flags
    const errorsPath = f.errors ?? (file === '-' ? undefined : `${file}.errors.csv`)
    const errorFiles = new ErrorFiles()
    const progress = ProgressLine.forTerminal(this.jsonEnabled())
    const backend = await this.backend()
    const interrupt = interruptOnSigint()
    let summary: ImportSummary
    const uncapHeap = capHeapGrowth(file)
    try {
      summary = await backend.imports.file({
        entity,
        file,
        format: f.format,
        map: f.map,
        ...importModes(f),
        onRejected: (rejection) => {
          if (errorsPath) errorFiles.write(errorsPath, file, rejection)
          else this.note(`line ${rejection.line}: ${rejection.field ? `${rejection.field}: ` : ''}${rejection.reason}`)
        },
        onProgress: (p) => progress.draw(entity, p),
        signal: interrupt.signal,
      })
    } catch (error) {
      throw resumable(error, importModes(f), file, `${this.config.bin} import ${entity} ${file}`)
    } finally {
      uncapHeap()
      interrupt.release()
      // Also when the import did not run (a bad header, an unreachable database…): no empty or stale error file.
      await errorFiles.finish(errorsPath ? [errorsPath] : [])
      progress.clear()
    }
    this.log(summaryLine(summary))
    if (summary.unknownColumns.length > 0) this.warn(`ignored columns: ${summary.unknownColumns.join(', ')}`)
    if (summary.stoppedEarly) this.warn(`stopped after ${f['max-errors']} rejected rows (--max-errors)`)
    if (f.resume && summary.skipped === summary.read && summary.skipped > 0) this.note('An earlier run finished this file: nothing was left to import.')
    if (summary.interrupted) {
      this.note(interruptedLine(summary, `${this.config.bin} import ${entity} ${file}`))
      if (errorsPath && summary.rejected > 0) this.note(`Rejected rows so far: ${errorsPath}`)
      if (this.jsonEnabled()) this.logJson({...summary, errorsFile: errorsPath ?? null})
      this.exit(INTERRUPTED_EXIT)
    }
    if (summary.rejected > 0) {
      // Rendering (cli-table3, chalk) loads only when there is something to colour.
      const {color} = await import('../src/cli/render.js')
      if (errorsPath) this.note(color.warn(`Rejected rows, with line numbers and reasons: ${errorsPath}`))
      if (this.jsonEnabled()) this.logJson({...summary, errorsFile: errorsPath ?? null})
      this.exit(ERROR_CATALOGUE.IMPORT_REJECTED.exit)
    }
    return summary
  }
}
