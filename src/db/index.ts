/**
 * A database handle: the Sequelize instance, its models and the target it points at.
 * Services receive a Db; commands obtain one from the base command and never see Sequelize.
 */
import type {Sequelize} from 'sequelize'

import type {DatabaseTarget} from '../config/database-url.js'
import {openSequelize, type OpenOptions} from './connection.js'
import {defineModels, type Models} from './models.js'
import type {ReplicaConsistency, ReplicaSet} from './replicas.js'

export interface Db {
  readonly sequelize: Sequelize
  readonly models: Models
  readonly target: DatabaseTarget
  readonly dialect: 'mysql' | 'sqlite'
  /** The read replicas, when some are configured: which are in use, and where reads go (replicas.ts, routing.ts). */
  readonly replicas?: ReplicaSet
  close(): Promise<void>
}

export interface OpenDbOptions extends Omit<OpenOptions, 'replicas'> {
  /** MySQL: read replicas; reads that are not part of a write go there. */
  readReplicas?: Extract<DatabaseTarget, {dialect: 'mysql'}>[]
  /** A line for people: a replica skipped or back in use. */
  warn?: (line: string) => void
  /** Seconds a replica may lag before reads skip it. */
  maxReplicaLagSeconds?: number
  /** bounded (default) or causal: see ReplicaConsistency. */
  replicaConsistency?: ReplicaConsistency
}

export async function openDb(target: DatabaseTarget, options: OpenDbOptions = {}): Promise<Db> {
  let replicas: ReplicaSet | undefined
  if (target.dialect === 'mysql' && options.readReplicas && options.readReplicas.length > 0) {
    const {ReplicaSet} = await import('./replicas.js')
    replicas = new ReplicaSet(target, options.readReplicas, {maxLagSeconds: options.maxReplicaLagSeconds ?? 5, consistency: options.replicaConsistency, warn: options.warn})
  }
  const sequelize = await openSequelize(target, {...options, replicas: replicas?.sequelizeOptions()})
  replicas?.attach(sequelize)
  let models: Models | undefined
  return {
    replicas,
    sequelize,
    // Defined at first use: db status, migrations and raw reads never need them.
    get models() {
      return (models ??= defineModels(sequelize))
    },
    target,
    dialect: target.dialect,
    close: async () => {
      replicas?.close()
      await sequelize.close()
    },
  }
}
