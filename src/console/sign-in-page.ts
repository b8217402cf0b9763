// The one console page shown without a session: a form that takes ADMIN_TOKEN.
import { document } from './console-layout.js';
import { html, type SafeHtml } from './html.js';

export function signInPage(problem?: string): SafeHtml {
  const header = html`<header><span class="brand">order-actors console</span></header>`;
  return document(
    'Sign in',
    header,
    html`<div class="signin">
      <h1>Sign in</h1>
      <p class="lead">Operators sign in with the service's admin token (<code>ADMIN_TOKEN</code>). The session lasts 8 hours.</p>
      ${problem && html`<p class="error">${problem}</p>`}
      <form class="panel" method="post" action="/console/sign-in">
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <p><button type="submit">Sign in</button></p>
      </form>
    </div>`,
  );
}
