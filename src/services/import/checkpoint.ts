/**
 * Checkpoints of `--resume`: after each committed batch, in the same transaction, how many
 * records of the file are done, what the batches wrote and the rows they rejected (line, field,
 * reason), so that a resumed run skips exactly what earlier runs committed (even after SIGKILL)
 * and still reports the whole file. A file is known by its entity, path, size and modification
 * time. The rejected rows themselves are not kept: a users file's rows hold passwords in the
 * clear, which the database must never hold; the resumed run reads them from the file again.
 */
import fs from 'node:fs'
import path from 'node:path'

import {QueryTypes, type Transaction} from 'sequelize'

import type {ServiceContext} from '../context.js'
import {inTransaction} from '../transaction.js'
import type {Checkpoint, Rejection} from './pipeline.js'
import {sha256Hex} from '../../digest.js'

/** Rejected rows per INSERT of their record. */
const REJECTIONS_PER_INSERT = 200

export function fileKey(entity: string, file: string): string {
  const stat = fs.statSync(file)
  return sha256Hex(`${entity}\0${path.resolve(file)}\0${stat.size}\0${stat.mtimeMs}`)
}

export async function readCheckpoint(ctx: ServiceContext, key: string): Promise<Checkpoint> {
  const [row] = await ctx.db.sequelize.query<{records_done: number; inserted: number; updated: number}>(
    'SELECT records_done, inserted, updated FROM import_checkpoints WHERE file_key = ?',
    {replacements: [key], type: QueryTypes.SELECT},
  )
  if (!row) return {done: 0, inserted: 0, updated: 0, rejections: []}
  const rejected = await ctx.db.sequelize.query<{line: number; field: string | null; reason: string}>(
    'SELECT line, field, reason FROM import_rejections WHERE file_key = ? ORDER BY line, id',
    {replacements: [key], type: QueryTypes.SELECT},
  )
  return {
    done: Number(row.records_done),
    inserted: Number(row.inserted),
    updated: Number(row.updated),
    // Without their rows: the resumed run reads them again from the file (pipeline.ts).
    rejections: rejected.map((r) => ({line: Number(r.line), ...(r.field === null ? {} : {field: r.field}), reason: r.reason, raw: undefined})),
  }
}

/**
 * Records how far the import got and what it reported, inside the batch's transaction: the
 * records done (absolute: batches commit in file order), what the batch wrote (added up), and
 * the batch's rejected rows.
 */
export async function writeCheckpoint(
  ctx: ServiceContext,
  transaction: Transaction,
  checkpoint: {key: string; entity: string; source: string; done: number; inserted: number; updated: number; rejections: Rejection[]},
) {
  const {key, rejections} = checkpoint
  const upsert =
    ctx.db.dialect === 'mysql'
      ? 'ON DUPLICATE KEY UPDATE records_done = VALUES(records_done), updated_at = VALUES(updated_at), inserted = inserted + VALUES(inserted),' +
        ' updated = updated + VALUES(updated), rejected = rejected + VALUES(rejected)'
      : 'ON CONFLICT (file_key) DO UPDATE SET records_done = excluded.records_done, updated_at = excluded.updated_at,' +
        ' inserted = inserted + excluded.inserted, updated = updated + excluded.updated, rejected = rejected + excluded.rejected'
  await ctx.db.sequelize.query(
    `INSERT INTO import_checkpoints (file_key, entity, source, records_done, updated_at, inserted, updated, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ${upsert}`,
    {
      replacements: [key, checkpoint.entity, checkpoint.source.slice(0, 500), checkpoint.done, new Date(), checkpoint.inserted, checkpoint.updated, rejections.length],
      transaction,
      type: QueryTypes.INSERT,
    },
  )
  for (let i = 0; i < rejections.length; i += REJECTIONS_PER_INSERT) {
    const part = rejections.slice(i, i + REJECTIONS_PER_INSERT)
    await ctx.db.sequelize.query(
      `INSERT INTO import_rejections (file_key, line, field, reason) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}`,
      {
        replacements: part.flatMap((r) => [key, r.line, r.field ?? null, r.reason]),
        transaction,
        type: QueryTypes.INSERT,
      },
    )
  }
}

/** Forgets a finished import's checkpoint and the rejected rows kept with it (in the process's writer turn, as every write). */
export async function dropCheckpoint(ctx: ServiceContext, key: string) {
  await inTransaction(ctx, async (transaction) => {
    await ctx.db.sequelize.query('DELETE FROM import_rejections WHERE file_key = ?', {replacements: [key], transaction})
    await ctx.db.sequelize.query('DELETE FROM import_checkpoints WHERE file_key = ?', {replacements: [key], transaction})
  })
}
