/**
 * A database handle: the Sequelize instance, its models and the target it points at.
 * Services receive a Db; commands obtain one from the base command and never see Sequelize.
 */
import type {Sequelize} from 'sequelize'

import type {DatabaseTarget} from '../config/database-url.js'
import {openSequelize, type OpenOptions} from './connection.js'
import {defineModels, type Models} from './models.js'

export interface Db {
  readonly sequelize: Sequelize
  readonly models: Models
  readonly target: DatabaseTarget
  readonly dialect: 'mysql' | 'sqlite'
  close(): Promise<void>
}

export async function openDb(target: DatabaseTarget, options: OpenOptions = {}): Promise<Db> {
  const sequelize = await openSequelize(target, options)
  let models: Models | undefined
  return {
    sequelize,
    // Defined at first use: db status, migrations and raw reads never need them.
    get models() {
      return (models ??= defineModels(sequelize))
    },
    target,
    dialect: target.dialect,
    close: () => sequelize.close(),
  }
}
