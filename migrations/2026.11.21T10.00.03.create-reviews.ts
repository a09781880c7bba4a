import {
  DataTypes,
  addCheck,
  primaryKey,
  references,
  tableOptions,
  timestamps,
  type MigrationFn,
} from '../src/db/migration-kit.js'

export const up: MigrationFn = async ({context}) => {
  const {queryInterface} = context
  await queryInterface.createTable(
    'reviews',
    {
      id: primaryKey,
      property_id: references('properties'),
      reviewer_id: references('users'),
      rating: {type: DataTypes.TINYINT, allowNull: false},
      comment: {type: DataTypes.TEXT, allowNull: true},
      ...timestamps,
    },
    tableOptions(context),
  )
  await addCheck(context, 'reviews', 'reviews_rating_range', 'rating BETWEEN 1 AND 5')
  // One review per (property, reviewer); also serves the property_id foreign key.
  await queryInterface.addIndex('reviews', ['property_id', 'reviewer_id'], {
    unique: true,
    name: 'reviews_property_reviewer_unique',
  })
  await queryInterface.addIndex('reviews', ['reviewer_id'], {name: 'reviews_reviewer_id'})
}

export const down: MigrationFn = async ({context}) => {
  await context.queryInterface.dropTable('reviews')
}
