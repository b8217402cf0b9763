// Errors in the console answered as console pages, not the REST API's JSON: what went wrong, each
// field that was refused and why, and a way back to the page the form was on. The status stays the
// REST API's (400, 403, 404, 409, 503), and unexpected errors are logged as they are there.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { asHttpError } from '../http/error-handler.js';
import { page, sendHtml } from './console-layout.js';
import type { ConsoleSession } from './console-sessions.js';
import { html } from './html.js';

type Issue = { path?: unknown; message?: unknown };

const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** The console path the browser came from, when it came from this console; else the overview. */
function backTo(req: FastifyRequest): string {
  const referer = req.headers.referer;
  if (!referer) return '/console';
  try {
    const url = new URL(referer);
    return url.host === req.headers.host && url.pathname.startsWith('/console') ? `${url.pathname}${url.search}` : '/console';
  } catch {
    return '/console';
  }
}

export function renderErrorsAsPages(app: FastifyInstance, sessionOf: (req: FastifyRequest) => ConsoleSession | undefined): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const answer = asHttpError(err);
    if (!answer) req.log.error({ err }, 'console request failed');
    else if (answer.status >= 500) req.log.warn({ err }, 'could not serve the console request');
    const status = answer?.status ?? 500;
    const body = answer?.body ?? { message: 'Something went wrong on our side; it has been logged' };
    const session = sessionOf(req);
    // Without a session there is no console page to show it in: the API's answer is the honest one.
    if (!session)
      return reply
        .code(status)
        .headers(answer?.headers ?? {})
        .send(body);
    const issues = Array.isArray(body.issues) ? (body.issues as Issue[]) : [];
    const content = html`<p><a href="${backTo(req)}">← Back</a></p>
      <h1>${status === 400 ? 'Some fields need another look' : 'That did not work'}</h1>
      <p class="error">${text(body.message)}</p>
      ${
        issues.length > 0 &&
        html`<ul>
          ${issues.map((i) => html`<li><strong>${text(i.path)}</strong>: ${text(i.message)}</li>`)}
        </ul>`
      }`;
    return sendHtml(reply.headers(answer?.headers ?? {}), page(session, 'overview', 'Error', content), status);
  });
}
