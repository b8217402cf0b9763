// A browser's side of the operator console, spoken with fetch: sign in, keep the session cookie,
// read the CSRF token off a page, post forms. Redirects are not followed, so tests see them.
export type ConsoleClient = ReturnType<typeof consoleClient>;

export function consoleClient(baseUrl: string) {
  let cookie: string | undefined;
  const request = async (method: 'GET' | 'POST', path: string, form?: Record<string, string>) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  return {
    get: (path: string) => request('GET', path),
    post: (path: string, form: Record<string, string>) => request('POST', path, form),
    async signIn(token: string) {
      const res = await request('POST', '/console/sign-in', { token });
      const set = res.headers.get('set-cookie');
      if (res.status === 303 && set) cookie = set.split(';')[0];
      return res;
    },
    /** The session's CSRF token, as every page's forms carry it. */
    async csrfToken(): Promise<string> {
      const page = await request('GET', '/console');
      const found = /name="_csrf" value="([^"]+)"/.exec(page.text);
      if (!found) throw new Error(`no CSRF token on the overview page (status ${page.status})`);
      return found[1]!;
    },
    get cookie() {
      return cookie;
    },
    set cookie(value: string | undefined) {
      cookie = value;
    },
  };
}
