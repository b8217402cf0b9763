// Some answers take longer than the server lets a socket sit idle (connectionTimeout, 30 s, which
// cuts off slow senders): a replay paced at a few messages a second answers when its last message
// is sent, minutes later. Lifted for that one request, on its own socket, after authentication; the
// server sets its usual timeout again for the socket's next request.
import type { FastifyRequest } from 'fastify';

export function allowLongAnswer(req: FastifyRequest): void {
  req.raw.socket.setTimeout(0);
}
