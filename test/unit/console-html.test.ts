// The console's escaping helper and its sessions: stored text never becomes markup, and a session
// lives 8 hours, in this process only.
import { describe, expect, it } from 'vitest';
import { createConsoleSessions, SESSION_TTL_MS, tokenFingerprint } from '../../src/console/console-sessions.js';
import { html, trustedHtml } from '../../src/console/html.js';

describe('html', () => {
  it('escapes every interpolation, in text and in attributes', () => {
    const hostile = `<script>alert(1)</script>" onmouseover='x' &amp;`;
    expect(html`<p title="${hostile}">${hostile}</p>`.text).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&#39;x&#39; &amp;amp;">' +
        '&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&#39;x&#39; &amp;amp;</p>',
    );
  });

  it('keeps HTML it built, joins lists and leaves nothing for null, undefined or false', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    // prettier lays out html templates as HTML; whitespace between the parts is not what is tested.
    const built = html`<ul>
        ${items}
      </ul>
      ${null}${undefined}${false}${0}`.text.replace(/\s+/g, '');
    expect(built).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
    expect(html`${trustedHtml('<br />')}`.text).toBe('<br />');
  });
});

describe('console sessions', () => {
  it('signs in only with the admin token, and never without one configured', () => {
    expect(createConsoleSessions({ adminToken: 'secret-token' }).signIn('wrong')).toBeUndefined();
    expect(createConsoleSessions({ adminToken: undefined }).signIn('')).toBeUndefined();
    const session = createConsoleSessions({ adminToken: 'secret-token' }).signIn('secret-token')!;
    expect(session.actor).toBe(`console (token ${tokenFingerprint('secret-token')})`);
    expect(session.id).not.toBe(session.csrfToken);
  });

  it('ends a session after 8 hours or at sign-out', () => {
    let now = 1_000;
    const sessions = createConsoleSessions({ adminToken: 't', now: () => now });
    const a = sessions.signIn('t')!;
    const b = sessions.signIn('t')!;
    now += SESSION_TTL_MS - 1;
    expect(sessions.find(a.id)).toBe(a);
    sessions.signOut(b.id);
    expect(sessions.find(b.id)).toBeUndefined();
    now += 1;
    expect(sessions.find(a.id)).toBeUndefined();
    expect(sessions.find(undefined)).toBeUndefined();
  });
});
