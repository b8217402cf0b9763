// The operator console at /console: server-rendered pages over the same use cases as /admin. A
// browser signs in once with ADMIN_TOKEN and then holds a session cookie; every page but sign-in
// needs the session, and every state-changing form needs the session's CSRF token as well.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ForbiddenError } from '../http/http-errors.js';
import { CONSOLE_CSS, CONSOLE_JS } from './console-assets.js';
import type { ConsoleDeps } from './console-deps.js';
import { sendHtml } from './console-layout.js';
import { addSecurityHeaders, cookieValue, parseForms, SESSION_COOKIE, setSessionCookie } from './console-security.js';
import { createConsoleSessions, sameSecret, type ConsoleSession, type SessionOf } from './console-sessions.js';
import { delayPages } from './delay-pages.js';
import { renderErrorsAsPages } from './error-page.js';
import { failurePages } from './failure-pages.js';
import { orderPages } from './order-pages.js';
import { overviewPage } from './overview-page.js';
import { signInPage } from './sign-in-page.js';
import { switchPages } from './switch-pages.js';

const SignInForm = z.object({ token: z.string().max(1000).default('') });
const CsrfForm = z.object({ _csrf: z.string().max(200) });

export function consoleRoutes(deps: ConsoleDeps) {
  const sessions = createConsoleSessions({ adminToken: deps.adminToken });
  const signedIn = new WeakMap<FastifyRequest, ConsoleSession>();
  const sessionOf: SessionOf = (req) => {
    const session = signedIn.get(req);
    // The guard runs before every page handler; reaching here without it is a wiring mistake.
    if (!session) throw new ForbiddenError('No console session');
    return session;
  };

  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (scope) => {
      addSecurityHeaders(scope);
      parseForms(scope);

      scope.get('/console/assets/console.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(CONSOLE_CSS));
      // Like the stylesheet, it holds nothing but code every console page may run: served without a session.
      scope.get('/console/assets/console.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(CONSOLE_JS));

      scope.get('/console/sign-in', async (req, reply) => {
        if (sessions.find(cookieValue(req, SESSION_COOKIE))) return reply.redirect('/console', 303);
        return sendHtml(reply, signInPage());
      });

      scope.post('/console/sign-in', async (req, reply) => {
        const form = SignInForm.safeParse(req.body ?? {});
        const session = form.success ? sessions.signIn(form.data.token) : undefined;
        if (!session) return sendHtml(reply, signInPage('That is not the admin token (or ADMIN_TOKEN is not configured).'), 401);
        setSessionCookie(req, reply, session);
        return reply.redirect('/console', 303);
      });

      await scope.register(async (pages) => {
        renderErrorsAsPages(pages, (req) => signedIn.get(req));
        // Without a session, every page and action sends the browser to sign in; nothing else runs.
        pages.addHook('onRequest', async (req, reply) => {
          const session = sessions.find(cookieValue(req, SESSION_COOKIE));
          if (!session) return reply.redirect('/console/sign-in', 303);
          signedIn.set(req, session);
        });
        // A form from another site cannot know the token, so its POST is refused before the handler.
        pages.addHook('preHandler', async (req) => {
          if (req.method !== 'POST') return;
          const form = CsrfForm.safeParse(req.body ?? {});
          if (!form.success || !sameSecret(form.data._csrf, sessionOf(req).csrfToken)) {
            throw new ForbiddenError('The form is missing its CSRF token, or it is not this session’s; reload the page and try again');
          }
        });

        pages.post('/console/sign-out', async (req, reply) => {
          sessions.signOut(sessionOf(req).id);
          setSessionCookie(req, reply, undefined);
          return reply.redirect('/console/sign-in', 303);
        });

        overviewPage(pages, deps, sessionOf);
        failurePages(pages, deps, sessionOf);
        switchPages(pages, deps, sessionOf);
        orderPages(pages, deps, sessionOf);
        delayPages(pages, deps, sessionOf);
      });
    });
  };
}
