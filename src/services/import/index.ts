/**
 * Importing a file of one entity: the pipeline (pipeline.ts) from the file to the local sink
 * (local.ts). Records are read as a stream (bounded memory), checked with the entity's rules and
 * written in batches; rejected rows go to `onRejected` with their line and reason and never stop
 * the good ones, unless `maxErrors` is reached.
 */
import type {Transaction} from 'sequelize'

import {UsageError, ValidationError} from '../../errors.js'
import {requireAdmin} from '../authz.js'
import type {ServiceContext} from '../context.js'
import {fileFormatOf} from '../formats/format.js'
import {blocksImporter} from './blocks.js'
import {bookingsImporter} from './bookings.js'
import {FieldMapper, parseMapFlags, withTextChecks} from './fields.js'
import {localSink} from './local.js'
import {paymentsImporter} from './payments.js'
import {DEFAULT_BATCH, runPipeline, type ImportInput, type ImportPlan, type ImportSummary} from './pipeline.js'
import {propertiesImporter} from './properties.js'
import {reviewsImporter} from './reviews.js'
import {IMPORT_ENTITIES, type EntityImporter, type ImportEntity} from './types.js'
import {usersImporter} from './users.js'

export type {ImportInput, ImportProgress, ImportSummary, Rejection} from './pipeline.js'

// Each row is checked for text no field takes before its importer reads it (withTextChecks).
const IMPORTERS: Partial<Record<ImportEntity, EntityImporter<unknown>>> = {
  users: withTextChecks(usersImporter) as EntityImporter<unknown>,
  properties: withTextChecks(propertiesImporter) as EntityImporter<unknown>,
  bookings: withTextChecks(bookingsImporter) as EntityImporter<unknown>,
  reviews: withTextChecks(reviewsImporter) as EntityImporter<unknown>,
  payments: withTextChecks(paymentsImporter) as EntityImporter<unknown>,
  blocks: withTextChecks(blocksImporter) as EntityImporter<unknown>,
}

export function importerFor(entity: string): EntityImporter<unknown> {
  const importer = IMPORTERS[entity as ImportEntity]
  if (!importer) {
    throw new UsageError(`cannot import "${entity}"; choose one of ${IMPORT_ENTITIES.filter((e) => IMPORTERS[e]).join(', ')}`)
  }
  return importer
}

/** What an import of `input` reads and how (its importer, format, column mapping, batch size), checked. */
export function importPlan(input: Pick<ImportInput, 'entity' | 'file' | 'format' | 'map' | 'batchSize'>): ImportPlan {
  const importer = importerFor(input.entity)
  const format = fileFormatOf(input.file, input.format, {invalid: ValidationError})
  const mapper = new FieldMapper(importer.fields, parseMapFlags(input.map, importer.fields))
  const batchSize = input.batchSize ?? DEFAULT_BATCH
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValidationError('batch size must be a positive integer')
  return {importer, format, mapper, batchSize}
}

/**
 * Imports a file of one entity into the database. With `outer`, the whole file runs in the
 * caller's transaction (a folder imported atomically or dry): nothing is committed or rolled
 * back here, and `committed` says whether the caller should commit.
 */
export async function importFile(ctx: ServiceContext, input: ImportInput, outer?: Transaction): Promise<ImportSummary> {
  requireAdmin(ctx, 'import data')
  const plan = importPlan(input)
  return runPipeline(plan, input, () => localSink(ctx, plan, input, outer))
}
