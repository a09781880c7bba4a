import {DataTypes, primaryKey, references, tableOptions, type MigrationFn} from '../src/db/migration-kit.js'

// iCalendar feeds of a listing, both ways:
// - calendar_feeds: the feeds of other channels a listing imports (`calendar feeds add`,
//   `calendar sync`): their URL, unique per listing by url_hash (sha256 of the URL: a 2048
//   character URL cannot be a key), and what the last fetch answered (ETag, Last-Modified) for
//   the next conditional GET.
// - calendar_tokens: the secret URLs a listing's own feed is published at (`calendar publish`,
//   GET /calendars/<token>.ics). Only the sha256 of a token is stored, as for API tokens; the
//   token is shown once. feed_etag and feed_changed_at: the body last served and since when it
//   is that body (the feed's Last-Modified).
// Each step checks what exists first, so that a run stopped halfway (MySQL's DDL is not
// transactional) is finished by the next one.

type QueryInterface = Parameters<MigrationFn>[0]['context']['queryInterface']

async function indexNames(queryInterface: QueryInterface, table: string): Promise<Set<string>> {
  return new Set(((await queryInterface.showIndex(table)) as {name: string}[]).map((index) => index.name))
}

const time = (allowNull: boolean) => ({type: DataTypes.DATE(3), allowNull})

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  const createFeeds = !(await queryInterface.tableExists('calendar_feeds'))
  if (createFeeds) {
    await queryInterface.createTable(
      'calendar_feeds',
      {
        id: primaryKey,
        property_id: references('properties', {onDelete: 'CASCADE'}),
        url: {type: DataTypes.STRING(2048), allowNull: false},
        url_hash: {type: DataTypes.CHAR(64), allowNull: false},
        created_by_id: references('users', {allowNull: true, onDelete: 'SET NULL'}),
        last_synced_at: time(true),
        etag: {type: DataTypes.STRING(255), allowNull: true},
        last_modified: {type: DataTypes.STRING(64), allowNull: true},
        created_at: time(false),
        updated_at: time(false),
      },
      tableOptions(context),
    )
  }
  // A table just created has no index yet (and a dry run on MySQL, which records the statements instead of running them, has no table to ask).
  const feeds = createFeeds ? new Set<string>() : await indexNames(queryInterface, 'calendar_feeds')
  if (!feeds.has('calendar_feeds_property_url')) {
    await queryInterface.addIndex('calendar_feeds', ['property_id', 'url_hash'], {unique: true, name: 'calendar_feeds_property_url'})
  }
  if (!feeds.has('calendar_feeds_created_by')) await queryInterface.addIndex('calendar_feeds', ['created_by_id'], {name: 'calendar_feeds_created_by'})

  const createTokens = !(await queryInterface.tableExists('calendar_tokens'))
  if (createTokens) {
    await queryInterface.createTable(
      'calendar_tokens',
      {
        id: primaryKey,
        property_id: references('properties', {onDelete: 'CASCADE'}),
        token_hash: {type: DataTypes.CHAR(64), allowNull: false},
        created_by_id: references('users', {allowNull: true, onDelete: 'SET NULL'}),
        revoked_at: time(true),
        last_used_at: time(true),
        feed_etag: {type: DataTypes.CHAR(64), allowNull: true},
        feed_changed_at: time(true),
        created_at: time(false),
      },
      tableOptions(context),
    )
  }
  const tokens = createTokens ? new Set<string>() : await indexNames(queryInterface, 'calendar_tokens')
  if (!tokens.has('calendar_tokens_hash_unique')) await queryInterface.addIndex('calendar_tokens', ['token_hash'], {unique: true, name: 'calendar_tokens_hash_unique'})
  if (!tokens.has('calendar_tokens_property')) await queryInterface.addIndex('calendar_tokens', ['property_id'], {name: 'calendar_tokens_property'})
  if (!tokens.has('calendar_tokens_created_by')) await queryInterface.addIndex('calendar_tokens', ['created_by_id'], {name: 'calendar_tokens_created_by'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('calendar_tokens')
  await context.queryInterface.dropTable('calendar_feeds')
}
