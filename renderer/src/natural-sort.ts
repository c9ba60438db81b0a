// Natural order for image references and names: runs of digits compare as numbers, so app:2
// comes before app:10 and v1.9 before v1.10. Pure, unit-tested.

const CHUNK = /(\d+)|(\D+)/g;

function chunks(s: string): string[] {
  return s.match(CHUNK) ?? [];
}

/** Compares two digit runs as numbers of any length (no overflow): fewer significant digits first. */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : a.length - b.length; // 007 after 7: a stable, visible order
}

export function naturalCompare(a: string, b: string): number {
  const ca = chunks(a.toLowerCase());
  const cb = chunks(b.toLowerCase());
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    let c: number;
    if (dx && dy) c = compareDigits(x, y);
    else if (dx !== dy)
      c = dx ? -1 : 1; // digits before letters, as in a plain sort
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  if (ca.length !== cb.length) return ca.length - cb.length;
  // Equal but for case: a fixed order, so a sort is deterministic.
  return a < b ? -1 : a > b ? 1 : 0;
}
