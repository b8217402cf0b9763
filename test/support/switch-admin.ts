// The admin switch routes as an operator calls them, with the token the test services are given.
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** `T` is the shape the test expects back; the call does not check it. */
export async function adminRequest<T = Record<string, unknown>>(
  baseUrl: string,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = ADMIN,
) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T | undefined };
}

/** The value a running service holds for a switch, as GET /admin/switches/:name shows it. */
export async function switchValue(baseUrl: string, name: string): Promise<unknown> {
  const res = await adminRequest(baseUrl, 'GET', `/admin/switches/${name}`);
  if (res.status !== 200) throw new Error(`GET /admin/switches/${name} answered ${res.status}`);
  return res.body?.value;
}

/** A sample of the service's Prometheus metrics, e.g. `metric(url, 'order_actors_switch_value{name="order-rules-v2"}')`. */
export async function metric(baseUrl: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
