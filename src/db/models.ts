/**
 * The Sequelize models of the tables and their associations. Migrations never import
 * this file (models change, migrations must not); services do, through `Db.models`.
 */
import {
  DataTypes,
  Model,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize'

import type {AuditChannel, BookingStatus, CancellationPolicy, PaymentKind, PaymentStatus} from '../domain.js'

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>
  declare username: string
  declare email: string
  declare firstName: string | null
  declare lastName: string | null
  declare passwordHash: string
  declare isActive: CreationOptional<boolean>
  declare isAdmin: CreationOptional<boolean>
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

export class Property extends Model<InferAttributes<Property>, InferCreationAttributes<Property>> {
  declare id: CreationOptional<number>
  declare ownerId: ForeignKey<number>
  declare name: string
  declare description: string | null
  declare address: string
  /** DECIMAL(10,2): a string from MySQL, a number from SQLite; convert with money.ts. */
  declare pricePerNight: string | number
  declare cancellationPolicy: CreationOptional<CancellationPolicy>
  declare isListed: CreationOptional<boolean>
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

export class Booking extends Model<InferAttributes<Booking>, InferCreationAttributes<Booking>> {
  declare id: CreationOptional<number>
  declare propertyId: ForeignKey<number>
  declare guestId: ForeignKey<number>
  /** Calendar dates, YYYY-MM-DD; endDate is the (exclusive) check-out day. */
  declare startDate: string
  declare endDate: string
  declare status: CreationOptional<BookingStatus>
  declare totalPrice: string | number
  declare externalRef: string | null
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

/** Nights of a property no one can book (rules/calendar.ts), by hand or from another channel's feed. */
export class Block extends Model<InferAttributes<Block>, InferCreationAttributes<Block>> {
  declare id: CreationOptional<number>
  declare propertyId: ForeignKey<number>
  /** Calendar dates, YYYY-MM-DD; endDate is exclusive, like a check-out. */
  declare startDate: string
  declare endDate: string
  declare reason: string
  /** The feed URL a block came from, and the event's UID there (null: a block made by hand). */
  declare source: string | null
  declare sourceUid: string | null
  /** sha256 (hex) of source + "\n" + sourceUid, made by services/blocks.ts; unique per property. */
  declare sourceKey: string | null
  declare createdById: ForeignKey<number> | null
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

export class Review extends Model<InferAttributes<Review>, InferCreationAttributes<Review>> {
  declare id: CreationOptional<number>
  declare propertyId: ForeignKey<number>
  declare reviewerId: ForeignKey<number>
  declare rating: number
  declare comment: string | null
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

export class Payment extends Model<InferAttributes<Payment>, InferCreationAttributes<Payment>> {
  declare id: CreationOptional<number>
  declare bookingId: ForeignKey<number>
  declare amount: string | number
  declare paymentDate: Date
  declare status: PaymentStatus
  declare transactionId: string
  declare kind: PaymentKind
  declare refundOfId: ForeignKey<number> | null
  declare reason: string | null
  declare idempotencyKey: string | null
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

export class ApiToken extends Model<InferAttributes<ApiToken>, InferCreationAttributes<ApiToken>> {
  declare id: CreationOptional<number>
  declare userId: ForeignKey<number>
  declare name: string
  declare tokenHash: string
  declare expiresAt: Date | null
  declare lastUsedAt: Date | null
  declare revokedAt: Date | null
  /** The session or token this token was made with (null: a login's session, or a token made at the command line). */
  declare createdByTokenId: CreationOptional<number | null>
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

/** A feed of another channel that a listing imports as blocks (`calendar feeds add`, `calendar sync`). */
export class CalendarFeed extends Model<InferAttributes<CalendarFeed>, InferCreationAttributes<CalendarFeed>> {
  declare id: CreationOptional<number>
  declare propertyId: ForeignKey<number>
  declare url: string
  /** sha256 (hex) of the URL: unique per property. */
  declare urlHash: string
  declare createdById: ForeignKey<number> | null
  declare lastSyncedAt: Date | null
  /** What the feed's server last answered, sent back in the next conditional GET. */
  declare etag: string | null
  declare lastModified: string | null
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

/** A secret URL a listing's own feed is published at (`calendar publish`); only the token's sha256 is kept. */
export class CalendarToken extends Model<InferAttributes<CalendarToken>, InferCreationAttributes<CalendarToken>> {
  declare id: CreationOptional<number>
  declare propertyId: ForeignKey<number>
  declare tokenHash: string
  declare createdById: ForeignKey<number> | null
  declare revokedAt: Date | null
  declare lastUsedAt: Date | null
  /** The ETag of the body last served, and since when the feed has had that body (its Last-Modified). */
  declare feedEtag: string | null
  declare feedChangedAt: Date | null
  declare createdAt: CreationOptional<Date>
}

/** Failed-login throttling per account (or per unknown login name), shared by every server process. */
export class LoginAttempt extends Model<InferAttributes<LoginAttempt>, InferCreationAttributes<LoginAttempt>> {
  declare id: CreationOptional<number>
  /** SHA-256 (hex) of "user:<id>" or "login:<name in lower case>". */
  declare subject: string
  declare userId: ForeignKey<number> | null
  declare failures: CreationOptional<number>
  declare windowStartedAt: Date
  declare lockedUntil: Date | null
  declare expiresAt: Date
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>
}

export class AuditEvent extends Model<InferAttributes<AuditEvent>, InferCreationAttributes<AuditEvent>> {
  declare id: CreationOptional<number>
  declare actor: string
  declare via: AuditChannel
  declare action: string
  declare entity: string
  declare entityId: string | null
  declare changes: Record<string, unknown> | null
  declare at: Date
}

export interface Models {
  User: typeof User
  Property: typeof Property
  Booking: typeof Booking
  Block: typeof Block
  Review: typeof Review
  Payment: typeof Payment
  ApiToken: typeof ApiToken
  LoginAttempt: typeof LoginAttempt
  AuditEvent: typeof AuditEvent
  CalendarFeed: typeof CalendarFeed
  CalendarToken: typeof CalendarToken
}

const id = () => ({type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true})
const money = () => ({type: DataTypes.DECIMAL(12, 2), allowNull: false})
/**
 * A date-time with milliseconds: every time column is DATETIME(3) on MySQL, and a DATE
 * without a length is written there in whole seconds (read back 08.000Z after 08.301Z).
 */
const dateTime = (allowNull: boolean) => ({type: DataTypes.DATE(3), allowNull})
const timestamps = () => ({createdAt: DataTypes.DATE(3), updatedAt: DataTypes.DATE(3)})

/**
 * The columns of each table, by model. Functions, not shared objects: Sequelize writes into
 * attribute definitions (their `field`), and each Sequelize instance inits its own models.
 */
const attributes = {
  User: () => ({
    id: id(),
    username: {type: DataTypes.STRING(50), allowNull: false},
    email: {type: DataTypes.STRING(254), allowNull: false},
    firstName: {type: DataTypes.STRING(100), allowNull: true},
    lastName: {type: DataTypes.STRING(100), allowNull: true},
    passwordHash: {type: DataTypes.STRING(100), allowNull: false},
    isActive: {type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true},
    isAdmin: {type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false},
    ...timestamps(),
  }),
  Property: () => ({
    id: id(),
    name: {type: DataTypes.STRING(200), allowNull: false},
    description: {type: DataTypes.TEXT, allowNull: true},
    address: {type: DataTypes.STRING(300), allowNull: false},
    pricePerNight: {type: DataTypes.DECIMAL(10, 2), allowNull: false},
    cancellationPolicy: {type: DataTypes.STRING(16), allowNull: false, defaultValue: 'moderate'},
    isListed: {type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true},
    ...timestamps(),
  }),
  Booking: () => ({
    id: id(),
    startDate: {type: DataTypes.DATEONLY, allowNull: false},
    endDate: {type: DataTypes.DATEONLY, allowNull: false},
    status: {type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending'},
    totalPrice: money(),
    externalRef: {type: DataTypes.STRING(64), allowNull: true},
    ...timestamps(),
  }),
  Block: () => ({
    id: id(),
    startDate: {type: DataTypes.DATEONLY, allowNull: false},
    endDate: {type: DataTypes.DATEONLY, allowNull: false},
    reason: {type: DataTypes.STRING(500), allowNull: false, defaultValue: ''},
    source: {type: DataTypes.STRING(2048), allowNull: true},
    sourceUid: {type: DataTypes.STRING(255), allowNull: true},
    sourceKey: {type: DataTypes.CHAR(64), allowNull: true},
    ...timestamps(),
  }),
  Review: () => ({
    id: id(),
    rating: {type: DataTypes.TINYINT, allowNull: false},
    comment: {type: DataTypes.TEXT, allowNull: true},
    ...timestamps(),
  }),
  Payment: () => ({
    id: id(),
    amount: money(),
    paymentDate: dateTime(false),
    status: {type: DataTypes.STRING(16), allowNull: false},
    transactionId: {type: DataTypes.STRING(100), allowNull: false},
    kind: {type: DataTypes.STRING(8), allowNull: false, defaultValue: 'charge'},
    reason: {type: DataTypes.STRING(500), allowNull: true},
    idempotencyKey: {type: DataTypes.STRING(100), allowNull: true},
    ...timestamps(),
  }),
  ApiToken: () => ({
    id: id(),
    name: {type: DataTypes.STRING(100), allowNull: false},
    tokenHash: {type: DataTypes.STRING(128), allowNull: false},
    expiresAt: dateTime(true),
    lastUsedAt: dateTime(true),
    revokedAt: dateTime(true),
    createdByTokenId: {type: DataTypes.INTEGER, allowNull: true},
    ...timestamps(),
  }),
  CalendarFeed: () => ({
    id: id(),
    url: {type: DataTypes.STRING(2048), allowNull: false},
    urlHash: {type: DataTypes.CHAR(64), allowNull: false},
    lastSyncedAt: dateTime(true),
    etag: {type: DataTypes.STRING(255), allowNull: true},
    lastModified: {type: DataTypes.STRING(64), allowNull: true},
    createdById: {type: DataTypes.INTEGER, allowNull: true},
    ...timestamps(),
  }),
  CalendarToken: () => ({
    id: id(),
    tokenHash: {type: DataTypes.CHAR(64), allowNull: false},
    revokedAt: dateTime(true),
    lastUsedAt: dateTime(true),
    feedEtag: {type: DataTypes.CHAR(64), allowNull: true},
    feedChangedAt: dateTime(true),
    createdById: {type: DataTypes.INTEGER, allowNull: true},
    createdAt: dateTime(false),
  }),
  LoginAttempt: () => ({
    id: id(),
    subject: {type: DataTypes.STRING(64), allowNull: false},
    failures: {type: DataTypes.INTEGER, allowNull: false, defaultValue: 0},
    windowStartedAt: dateTime(false),
    lockedUntil: dateTime(true),
    expiresAt: dateTime(false),
    ...timestamps(),
  }),
  AuditEvent: () => ({
    id: {type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true},
    actor: {type: DataTypes.STRING(100), allowNull: false},
    via: {type: DataTypes.STRING(16), allowNull: false},
    action: {type: DataTypes.STRING(64), allowNull: false},
    entity: {type: DataTypes.STRING(32), allowNull: false},
    entityId: {type: DataTypes.STRING(64), allowNull: true},
    changes: {type: DataTypes.JSON, allowNull: true},
    at: dateTime(false),
  }),
}

/** The associations between the models of one Sequelize instance. */
function associate({User: U, Property: P, Booking: B, Block: K, Review: R, Payment: Pay, ApiToken: T, LoginAttempt: L}: Models): void {
  P.hasMany(K, {foreignKey: 'propertyId', as: 'blocks'})
  K.belongsTo(P, {foreignKey: 'propertyId', as: 'property'})
  K.belongsTo(U, {foreignKey: 'createdById', as: 'createdBy'})
  U.hasMany(P, {foreignKey: 'ownerId', as: 'properties'})
  P.belongsTo(U, {foreignKey: 'ownerId', as: 'owner'})
  P.hasMany(B, {foreignKey: 'propertyId', as: 'bookings'})
  B.belongsTo(P, {foreignKey: 'propertyId', as: 'property'})
  U.hasMany(B, {foreignKey: 'guestId', as: 'bookings'})
  B.belongsTo(U, {foreignKey: 'guestId', as: 'guest'})
  P.hasMany(R, {foreignKey: 'propertyId', as: 'reviews'})
  R.belongsTo(P, {foreignKey: 'propertyId', as: 'property'})
  U.hasMany(R, {foreignKey: 'reviewerId', as: 'reviews'})
  R.belongsTo(U, {foreignKey: 'reviewerId', as: 'reviewer'})
  B.hasMany(Pay, {foreignKey: 'bookingId', as: 'payments'})
  Pay.belongsTo(B, {foreignKey: 'bookingId', as: 'booking'})
  Pay.hasMany(Pay, {foreignKey: 'refundOfId', as: 'refunds'})
  Pay.belongsTo(Pay, {foreignKey: 'refundOfId', as: 'refundOf'})
  U.hasMany(T, {foreignKey: 'userId', as: 'apiTokens'})
  T.belongsTo(U, {foreignKey: 'userId', as: 'user'})
  L.belongsTo(U, {foreignKey: 'userId', as: 'user'})
}

/**
 * Binds the model classes to one Sequelize instance. Each instance gets its own subclasses,
 * so several databases (a test's SQLite and MariaDB, say) can be open in one process.
 */
export function defineModels(sequelize: Sequelize): Models {
  class U extends User {}
  class P extends Property {}
  class B extends Booking {}
  class K extends Block {}
  class R extends Review {}
  class Pay extends Payment {}
  class T extends ApiToken {}
  class L extends LoginAttempt {}
  class A extends AuditEvent {}

  U.init(attributes.User(), {sequelize, modelName: 'User', tableName: 'users'})
  P.init(attributes.Property(), {sequelize, modelName: 'Property', tableName: 'properties'})
  B.init(attributes.Booking(), {sequelize, modelName: 'Booking', tableName: 'bookings'})
  K.init(attributes.Block(), {sequelize, modelName: 'Block', tableName: 'blocks'})
  R.init(attributes.Review(), {sequelize, modelName: 'Review', tableName: 'reviews'})
  Pay.init(attributes.Payment(), {sequelize, modelName: 'Payment', tableName: 'payments'})
  T.init(attributes.ApiToken(), {sequelize, modelName: 'ApiToken', tableName: 'api_tokens'})
  L.init(attributes.LoginAttempt(), {sequelize, modelName: 'LoginAttempt', tableName: 'login_attempts'})
  A.init(attributes.AuditEvent(), {sequelize, modelName: 'AuditEvent', tableName: 'audit_events', timestamps: false})
  class F extends CalendarFeed {}
  class CT extends CalendarToken {}
  F.init(attributes.CalendarFeed(), {sequelize, modelName: 'CalendarFeed', tableName: 'calendar_feeds'})
  CT.init(attributes.CalendarToken(), {sequelize, modelName: 'CalendarToken', tableName: 'calendar_tokens', updatedAt: false})
  F.belongsTo(P, {foreignKey: 'propertyId', as: 'property'})
  CT.belongsTo(P, {foreignKey: 'propertyId', as: 'property'})

  const models = {User: U, Property: P, Booking: B, Block: K, Review: R, Payment: Pay, ApiToken: T, LoginAttempt: L, AuditEvent: A, CalendarFeed: F, CalendarToken: CT}
  associate(models)
  return models
}
