// The one way console pages build HTML: every interpolated value is escaped unless it is already
// HTML this helper made, so stored text (a dead letter's body, an error message) is always shown as
// text, whatever it contains.

/** HTML that is safe to place as is: only `html` and `trustedHtml` make it. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** What a template takes: text and numbers (escaped), HTML made here, lists of them, or nothing. */
export type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('');
  // Nothing to show: conditionals such as ${cond && html`…`} leave no "false" behind.
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** A template whose every interpolation is escaped, arrays joined, and nested `html` kept as is. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks text written in this code base (never stored or received text) as HTML. */
export function trustedHtml(text: string): SafeHtml {
  return new SafeHtml(text);
}
