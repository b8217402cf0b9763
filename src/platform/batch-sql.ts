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
  return sql`json_to_recordset(${jsonText(rows)}::json) as r(${sql.raw(columns)})`;
}

// JSON.stringify writes a lone UTF-16 surrogate (which a JSON body or a forged message can carry) as
// a \udXXX escape that PostgreSQL refuses, failing the whole batch; the same holds for a NUL, which
// no text or jsonb value can hold. Both arrive as U+FFFD instead. Only such characters show up as
// these escapes (surrogate pairs are written as characters), so the check costs one scan of the text.
const UNSTORABLE = /\\u(?:d[89a-f][0-9a-f]{2}|0000)/i;
function jsonText(rows: readonly object[]): string {
  const text = JSON.stringify(rows);
  if (!UNSTORABLE.test(text)) return text;
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'string' ? value.toWellFormed().replaceAll('\0', '\ufffd') : value));
}

/** `= any($1::text[])`: membership in a list of text values, as one parameter. */
export function anyText(values: readonly string[]): RawBuilder<string> {
  return sql<string>`any(${values}::text[])`;
}
