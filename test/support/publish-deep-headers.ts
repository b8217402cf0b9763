// Publishes one message whose headers are nested `depth` tables deep, as a hostile publisher
// would. amqplib's encoder recurses once per level, so this runs in its own process with a larger
// stack (node --stack-size): usage: publish-deep-headers.ts <amqp-url> <queue> <depth> <messageId> <body>
import amqp from 'amqplib';

const [url, queue, depthText, messageId, body] = process.argv.slice(2);
if (!url || !queue || !depthText || !messageId || body === undefined)
  throw new Error('usage: publish-deep-headers.ts <amqp-url> <queue> <depth> <messageId> <body>');
let deep: Record<string, unknown> = { leaf: 1 };
for (let i = 0; i < Number(depthText); i++) deep = { n: deep };
const connection = await amqp.connect(url);
const channel = await connection.createConfirmChannel();
channel.sendToQueue(queue, Buffer.from(body), { contentType: 'application/json', messageId, persistent: true, headers: { deep } });
await channel.waitForConfirms();
await connection.close();
