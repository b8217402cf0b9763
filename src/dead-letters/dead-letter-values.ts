// The values of a dead letter as PostgreSQL can store them and a replay can publish them again:
// text without the characters text and jsonb refuse, header values as JSON and back, a canonical
// form for hashing, and times within the years PostgreSQL and a real failure can have. Pure.

const BODY_JSON_MAX_BYTES = 1024 * 1024;
const TEXT_MAX_CHARS = 2_000;

/** PostgreSQL text and jsonb refuse NUL and lone surrogates; a dead letter must never be unstorable. */
export function safeText(s: string, max = TEXT_MAX_CHARS): string {
  return s.replaceAll('\u0000', '').toWellFormed().slice(0, max);
}

/** Header values as JSON: amqplib's typed values ({'!': 'timestamp', value}) stay as they are, bytes become {$base64}. */
export function toJson(value: unknown): unknown {
  if (typeof value === 'string') return safeText(value, 100_000);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean' || value === null || value === undefined) return value ?? null;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return { $base64: value.toString('base64') };
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [safeText(k, 1_000), toJson(v)]));
  }
  // Functions and symbols never come out of an AMQP decoder.
  return null;
}

/** The inverse of toJson for the values a replay publishes. */
export function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0]![0] === '$base64' && typeof entries[0]![1] === 'string') return Buffer.from(entries[0]![1], 'base64');
    return Object.fromEntries(entries.map(([k, v]) => [k, fromJson(v)]));
  }
  return value;
}

/** JSON with sorted keys, so equal headers hash equally whatever order they were decoded in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function parseBodyJson(body: Buffer): unknown {
  if (body.length > BODY_JSON_MAX_BYTES) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    // JSON.stringify escapes exactly the characters jsonb refuses: NUL and lone surrogates.
    return /\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(JSON.stringify(parsed)) ? undefined : parsed;
  } catch {
    return undefined;
  }
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

// A time outside years 1–9999 cannot come from a real failure, and some (JavaScript reaches year
// −271821) PostgreSQL cannot store at all: one such header would fail the drain on every pass.
const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');
const storable = (d: Date): Date | undefined => (d.getTime() >= EARLIEST && d.getTime() <= LATEST ? d : undefined);

export function date(v: unknown): Date | undefined {
  const d = typeof v === 'string' ? new Date(v) : typeof v === 'number' ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? storable(d) : undefined;
}

/** An amqplib timestamp ({'!': 'timestamp', value: seconds}) or plain seconds, as a Date. */
export function amqpTime(v: unknown): Date | undefined {
  const seconds = v && typeof v === 'object' && 'value' in v ? v.value : v;
  if (typeof seconds !== 'number' || !(seconds > 0)) return undefined;
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? undefined : storable(d);
}
