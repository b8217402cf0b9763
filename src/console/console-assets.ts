// The console's stylesheet and its one script, shipped inside the package as strings so that serving
// them needs no build step, no file lookup beside the compiled code and no CDN (the CSP allows only
// 'self', and no inline script or style).
export const CONSOLE_CSS = `
:root { --ink: #1d2330; --muted: #5b6474; --line: #d8dce3; --bg: #f6f7f9; --accent: #1f5fbf; --warn: #a33a12; --ok: #1d7a3a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { background: var(--ink); color: #fff; padding: 0.6rem 1.5rem; display: flex; gap: 1.5rem; align-items: center; }
header .brand { font-weight: 700; margin-right: 1rem; }
header a { color: #dfe6f3; text-decoration: none; }
header a.here { color: #fff; border-bottom: 2px solid #fff; }
header form { margin-left: auto; }
header button { background: transparent; color: #dfe6f3; border: 1px solid #6b7487; }
main { max-width: 72rem; margin: 0 auto; padding: 1.2rem 1.5rem 3rem; overflow-x: auto; }
h1 { font-size: 1.5rem; margin: 0.4rem 0 0.2rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 0.5rem; }
p.lead { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef0f4; font-weight: 600; font-size: 0.85rem; color: var(--muted); }
/* Times and switch names read badly when broken across lines. */
td.when { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85rem; }
pre { background: #fff; border: 1px solid var(--line); padding: 0.6rem; overflow: auto; max-height: 24rem; white-space: pre-wrap; word-break: break-all; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; background: #fff; border: 1px solid var(--line); padding: 0.6rem; }
dt { color: var(--muted); }
dd { margin: 0; }
form.inline { display: inline; }
form.panel { background: #fff; border: 1px solid var(--line); padding: 0.8rem; margin: 0.8rem 0; }
label { display: block; font-weight: 600; margin-bottom: 0.3rem; }
input[type=text], input[type=password], input[type=search] { padding: 0.4rem; border: 1px solid #aab1bf; border-radius: 3px; min-width: 18rem; font: inherit; }
input[type=number] { padding: 0.4rem; border: 1px solid #aab1bf; border-radius: 3px; width: 7rem; font: inherit; }
button { font: inherit; padding: 0.35rem 0.9rem; border-radius: 3px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--warn); border-color: var(--warn); }
.notice { background: #fff7e0; border: 1px solid #e8c766; padding: 0.6rem 0.8rem; margin: 0.8rem 0; }
.error { background: #fdecea; border: 1px solid #e5a39a; padding: 0.6rem 0.8rem; margin: 0.8rem 0; }
.ok { color: var(--ok); }
.muted { color: var(--muted); }
.status-new { color: var(--warn); font-weight: 600; }
.summary { display: flex; gap: 1rem; flex-wrap: wrap; margin: 0.6rem 0; }
.summary div { background: #fff; border: 1px solid var(--line); padding: 0.5rem 0.9rem; min-width: 9rem; }
.summary strong { display: block; font-size: 1.4rem; }
.signin { max-width: 26rem; margin: 4rem auto; }
.refresh { display: flex; gap: 0.8rem; align-items: center; margin: 0.4rem 0; }
.refresh[hidden] { display: none; }
.refresh button { padding: 0.15rem 0.6rem; font-size: 0.85rem; }
/* A queue table reads by shard: a line above each work queue and above the dead letters. */
table.queues tr.first td { border-top: 2px solid var(--line); }
table.processes tr.gone td { color: var(--muted); }
`;

/**
 * Refreshes, in place, the one region of a page that asks for it (data-refresh: where its fresh
 * content is; data-every: how often, in ms), and offers a button to pause. Written for every
 * browser the console meets as is (no build step): plain ES2017, no module, no framework.
 */
export const CONSOLE_JS = `'use strict';
(function () {
  var region = document.querySelector('[data-refresh]');
  var control = document.getElementById('refresh');
  var toggle = document.getElementById('refresh-toggle');
  var status = document.getElementById('refresh-status');
  if (!region || !control || !toggle || !status) return;
  var url = region.getAttribute('data-refresh');
  var every = Number(region.getAttribute('data-every')) || 5000;
  var KEY = 'console-refresh-paused';
  var paused = sessionStorage.getItem(KEY) === '1';
  var timer;

  function say(text) {
    status.textContent = text;
    toggle.textContent = paused ? 'Resume' : 'Pause';
  }
  function schedule() {
    clearTimeout(timer);
    if (!paused) timer = setTimeout(refresh, every);
  }
  function refresh() {
    // A tab nobody looks at asks for nothing.
    if (document.hidden) return schedule();
    fetch(url, { credentials: 'same-origin' })
      .then(function (res) {
        // Sent to sign in (signed out, expired, or the process restarted): go there as a page.
        if (res.redirected) return location.reload();
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.text().then(function (text) {
          if (paused) return;
          region.innerHTML = text;
          say('Refreshes every ' + every / 1000 + ' s.');
        });
      })
      .catch(function () {
        say('Could not refresh at ' + new Date().toLocaleTimeString() + '; trying again.');
      })
      .then(schedule);
  }
  toggle.addEventListener('click', function () {
    paused = !paused;
    sessionStorage.setItem(KEY, paused ? '1' : '0');
    say(paused ? 'Refresh paused.' : 'Refreshes every ' + every / 1000 + ' s.');
    if (paused) clearTimeout(timer);
    else refresh();
  });
  say(paused ? 'Refresh paused.' : 'Refreshes every ' + every / 1000 + ' s.');
  control.hidden = false;
  schedule();
})();
`;
