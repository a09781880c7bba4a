/**
 * What the calendar commands share: reading `--ics FILE|URL`, the lines that report an
 * import (conflicts naming the event and what it overlaps, problems with line numbers), and
 * the exit code of an import or sync (documented in each command's help).
 */
import fs from 'node:fs'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {ERROR_CATALOGUE, ValidationError} from '../errors.js'
import type {ImportCalendarInput, ImportCalendarResult, SyncCalendarsResult} from '../services/calendar/transfer.js'

/** Flags of the commands that fetch feeds. */
export const fetchFlags = {
  'fetch-timeout': Flags.integer({description: 'Seconds to wait for a feed URL to answer, in full', default: 15, min: 1, max: 600}),
  'max-bytes': Flags.integer({description: 'Largest feed accepted, in bytes', default: 5 * 1024 * 1024, min: 1, max: 100 * 1024 * 1024}),
}

export const fetchLimits = (f: {'fetch-timeout': number; 'max-bytes': number}) => ({timeoutMs: f['fetch-timeout'] * 1000, maxBytes: f['max-bytes']})

/** `--ics`: an http(s) URL (fetched where the operation runs) or a local file whose text is sent. */
export function feedInput(ics: string): Pick<ImportCalendarInput, 'url' | 'ics' | 'fileName'> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ics)) return {url: ics}
  try {
    return {ics: fs.readFileSync(ics, 'utf8'), fileName: path.basename(ics)}
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new ValidationError(`cannot read ${ics}${code === 'ENOENT' ? ': no such file' : `: ${code ?? error}`}`, {details: {field: 'ics'}})
  }
}

/** One line for the blocks an import changed. */
export function importSummary(r: ImportCalendarResult): string {
  const what = `${r.events} event(s): ${r.added} added, ${r.moved} moved, ${r.removed} removed, ${r.unchanged} unchanged, ${r.conflicts.length} conflict(s), ${r.problems.length} problem(s)`
  return `${r.dryRun ? 'Dry run, nothing written: ' : ''}property ${r.propertyId} from ${r.source}: ${what}`
}

/** One line per conflict, naming the event and what of ours it overlaps. */
export const conflictLines = (r: ImportCalendarResult) => r.conflicts.map((c) => `conflict: event "${c.uid}" ${c.reason}`)

export const problemLines = (r: ImportCalendarResult) => r.problems.map((p) => `${p.line === 0 ? 'feed' : `line ${p.line}`}: ${p.message}`)

/** 5 when an event conflicted, else 8 when parts of the feed were left out, else 0. */
export function importExitCode(results: ImportCalendarResult[]): number {
  if (results.some((r) => r.conflicts.length > 0)) return ERROR_CATALOGUE.CONFLICT.exit
  if (results.some((r) => r.problems.length > 0)) return ERROR_CATALOGUE.IMPORT_REJECTED.exit
  return 0
}

/** 7 when a feed could not be synced, else as importExitCode. */
export function syncExitCode(result: SyncCalendarsResult): number {
  if (result.feeds.some((f) => f.status === 'failed')) return ERROR_CATALOGUE.UNAVAILABLE.exit
  return importExitCode(result.feeds.flatMap((f) => (f.result ? [f.result] : [])))
}
