// Timing helpers: each contender runs for a fixed time per round, rounds
// interleave the contenders (so drift in machine load hits all of them), and
// the median round is reported.

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs `fn` (which does `unit` units of work per call) for `ms`; returns units per second. */
export async function rate(fn, unit, ms) {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    n += unit;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

export async function compare(contenders, { rounds = 5, ms = 1500, unit = 1 } = {}) {
  const results = Object.fromEntries(contenders.map(([name]) => [name, []]));
  for (const [, fn] of contenders) await rate(fn, unit, 200); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of contenders) results[name].push(await rate(fn, unit, ms));
  }
  return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
}

export function machine() {
  return `node ${process.version}, ${process.platform}/${process.arch}`;
}
