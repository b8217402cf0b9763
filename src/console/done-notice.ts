// The line a page shows after an action sent the browser back to it (`?done=flipped`): what just
// happened, in words this file holds, so nothing in the query string is ever shown as is.
import { html, type SafeHtml } from './html.js';

const DONE = {
  flipped: 'Flipped. Every process has the new value within seconds; the change is in the history below.',
  'guard-armed': 'The rollback guard is armed.',
  'guard-disarmed': 'The rollback guard is disarmed.',
  scheduled: 'Scheduled. The step runs within seconds of its time.',
  'schedule-cancelled': 'The pending steps are cancelled.',
  discarded: 'Discarded. The message is kept for the record and can no longer be replayed.',
} as const;

export type DoneKey = keyof typeof DONE;

/** Where to send the browser after an action, with the line to show there. */
export const doneUrl = (path: string, done: DoneKey) => `${path}?done=${done}`;

/** The line for `?done=` of this request, or nothing. */
export function doneNotice(query: unknown): SafeHtml | undefined {
  const key = (query as { done?: unknown } | undefined)?.done;
  return typeof key === 'string' && key in DONE ? html`<p class="ok" role="status">${DONE[key as DoneKey]}</p>` : undefined;
}
