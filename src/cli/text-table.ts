// Plain-text tables for the operator CLI: columns padded to their widest cell, long cells cut.
export function textTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, maxCell = 60): string {
  const cut = (s: string) => (s.length > maxCell ? `${s.slice(0, maxCell - 1)}…` : s);
  const cells = [header, ...rows].map((r) => r.map((c) => cut(c.replace(/\s+/g, ' '))));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}
