// Batch statements with one parameter per batch instead of one per value. A 100-order insert built
// value by value has 1,400 parameters: kysely builds a node per value, pg serializes each, and
// PostgreSQL parses a new statement text for every batch size. Sent as one JSON document (or one
// array), the statement text is the same for every batch and its parameters cost one
// JSON.stringify.
import { sql, type RawBuilder } from 'kysely';

/**
 * `json_to_recordset` over the rows, typed by `columns` (e.g. `order_id text, total bigint`): use it
 * as the source of an `insert … select`, or join it.
 */
export function jsonRecordset(rows: readonly object[], columns: string): RawBuilder<unknown> {
  return sql`json_to_recordset(${JSON.stringify(rows)}::json) as r(${sql.raw(columns)})`;
}

/** `= any($1::text[])`: membership in a list of text values, as one parameter. */
export function anyText(values: readonly string[]): RawBuilder<string> {
  return sql<string>`any(${values}::text[])`;
}
