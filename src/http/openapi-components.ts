// The type provider turns every schema registered with an id into two components: the form a
// request takes (`OrderInput`) and the form an answer gives (`Order`), because a schema with defaults
// or transforms differs between the two. Ours mostly do not, and a shop developer reading the
// document should find one Order, not two copies and a few that nothing refers to.
import { isDeepStrictEqual } from 'node:util';

const PREFIX = '#/components/schemas/';

type Document = { paths?: unknown; components?: { schemas?: Record<string, unknown> } };

function eachRef(value: unknown, visit: (ref: string) => void): void {
  if (Array.isArray(value)) for (const item of value) eachRef(item, visit);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') visit(child);
      else eachRef(child, visit);
    }
  }
}

/** One name where a request's and an answer's form are the same, and only components something refers to. */
export function tidyComponents<D extends Document>(document: D): D {
  const schemas = document.components?.schemas ?? {};
  const sameAs = new Map<string, string>();
  for (const [name, schema] of Object.entries(schemas)) {
    const plain = name.replace(/Input$/, '');
    if (plain !== name && isDeepStrictEqual(schema, schemas[plain])) sameAs.set(PREFIX + name, PREFIX + plain);
  }
  const renamed = JSON.parse(JSON.stringify(document), (key, value: unknown) =>
    key === '$ref' && typeof value === 'string' ? (sameAs.get(value) ?? value) : value,
  ) as D;
  const all = renamed.components?.schemas ?? {};
  const used: Record<string, unknown> = {};
  const keep = (ref: string): void => {
    const name = ref.slice(PREFIX.length);
    if (!ref.startsWith(PREFIX) || name in used || !(name in all)) return;
    used[name] = all[name];
    eachRef(all[name], keep);
  };
  eachRef(renamed.paths, keep);
  return { ...renamed, components: { ...renamed.components, schemas: used } };
}
