// Some answers take longer than the server lets a socket sit idle (connectionTimeout, 30 s, which
// cuts off slow senders): a replay paced at a few messages a second answers when its last message
// is sent, minutes later. Lifted for that one request, on its own socket, after authentication; the
// server sets its usual timeout again for the socket's next request. Such work also stops when its
// caller goes away, since nobody would read its answer and the caller could not stop it otherwise.
import type { FastifyReply, FastifyRequest } from 'fastify';

export function allowLongAnswer(req: FastifyRequest): void {
  req.raw.socket.setTimeout(0);
}

/** Aborts once the caller goes away (a CLI stopped with Ctrl-C, a page left) before its answer was sent. */
export function abortedWhenCallerLeaves(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
