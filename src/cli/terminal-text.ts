// Stored text (an error message, a header, an operator's reason) can come from anyone who can
// publish a message. Printed raw, an escape sequence in it could clear an operator's screen, retitle
// the terminal or hide what follows; so the CLI's human output shows every control character,
// C1 code and bidirectional override as a visible \u{…} escape. JSON output needs none of this:
// JSON.stringify escapes control characters already.

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The text with everything a terminal would act on, other than line breaks and tabs, made visible. */
export function forTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Prints a command's result: JSON for scripts, or the human text made safe for a terminal. */
export function printResult(json: boolean | undefined, value: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : forTerminal(human()));
}
