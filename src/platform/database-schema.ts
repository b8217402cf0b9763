// The whole database as one kysely type. Each feature adds its own tables to it where it declares
// them (`declare module '../platform/database-schema.js'` in its *-table.ts), so the platform, which
// creates the Db, knows no feature and each table is declared once, next to its SQL.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the features' declarations
export interface Database {}
