import autocannon from 'autocannon';
const base = process.env.BASE ?? 'http://127.0.0.1:3400';
const sandbox = process.env.SANDBOX ?? 'http://127.0.0.1:3401';
const N = Number(process.env.N ?? 10000);
const run = Date.now().toString(36);
let i = 0;
const t0 = Date.now();
const result = await autocannon({
  url: base, connections: 100, amount: N, method: 'POST',
  headers: { 'content-type': 'application/json' },
  requests: [{ method: 'POST', path: '/orders', setupRequest: (req: any) => {
    const n = i++;
    req.body = JSON.stringify({ orderId: `L-${run}-${n}`, sellerId: 'farm-7', buyer: { id: 'b-42', name: 'Kim Minji', phone: '+821012345678' },
      items: [{ sku: 'corn-10', name: 'Sweet corn 10 ears', quantity: 2, unitPrice: 15900 }], currency: 'KRW',
      shippingAddress: { line1: '12 Sejong-daero', city: 'Seoul', postalCode: '04524' }, requestedDeliveryDate: '2026-12-01' });
    return req; } }],
});
const tIntake = Date.now();
console.log('intake', Math.round(result.requests.average), 'req/s; p50', result.latency.p50, 'p99', result.latency.p99, 'non2xx', result.non2xx, 'errors', result.errors);
if (process.env.ONLY_INTAKE) process.exit(0);
for (;;) {
  const r = await fetch(`${sandbox}/messages`); const j = await r.json() as any;
  const mine = j.messages.filter((m: any) => m.params.orderId.startsWith(`L-${run}-`)).length;
  if (mine >= N - result.non2xx) break;
  await new Promise((r) => setTimeout(r, 100));
}
const t1 = Date.now();
console.log('end-to-end', Math.round(N / ((t1 - t0) / 1000)), 'orders/s; intake took', (tIntake - t0) / 1000, 's; drain after intake', (t1 - tIntake) / 1000, 's');
