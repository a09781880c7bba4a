import {DataTypes, addCheck, references, tableOptions, type MigrationFn} from '../src/db/migration-kit.js'

// Failed-login throttling that holds across every server process on the database: one row per
// login subject, keyed by a SHA-256 of "user:<id>" for an account, or of "login:<name>" for a name
// that matches no account (same work, same time either way; the name typed is never stored).
export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  // Milliseconds on MySQL too, like every other time column (see …timestamps-with-milliseconds).
  const time = (allowNull: boolean) => ({type: context.dialect === 'mysql' ? DataTypes.DATE(3) : DataTypes.DATE, allowNull})
  await queryInterface.createTable(
    'login_attempts',
    {
      id: {type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true, allowNull: false},
      subject: {type: DataTypes.STRING(64), allowNull: false},
      user_id: references('users', {allowNull: true, onDelete: 'CASCADE'}),
      failures: {type: DataTypes.INTEGER, allowNull: false, defaultValue: 0},
      window_started_at: time(false),
      locked_until: time(true),
      // When the row stops mattering (window and lock both over): rows past it are pruned.
      expires_at: time(false),
      created_at: time(false),
      updated_at: time(false),
    },
    tableOptions(context),
  )
  await addCheck(context, 'login_attempts', 'login_attempts_failures_not_negative', 'failures >= 0')
  await queryInterface.addIndex('login_attempts', ['subject'], {unique: true, name: 'login_attempts_subject_unique'})
  await queryInterface.addIndex('login_attempts', ['user_id'], {name: 'login_attempts_user_id'})
  await queryInterface.addIndex('login_attempts', ['expires_at'], {name: 'login_attempts_expires_at'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('login_attempts')
}
