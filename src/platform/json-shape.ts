// Small, allocation-free tests of parsed JSON, for the contract checks' fast paths.

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Exactly these own keys, in this order (the order a zod schema rebuilds an object in). */
export function hasKeysInOrder(o: JsonObject, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  if (own.length !== keys.length) return false;
  for (let i = 0; i < keys.length; i++) if (own[i] !== keys[i]) return false;
  return true;
}
