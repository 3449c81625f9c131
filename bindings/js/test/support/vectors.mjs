// Reading the conformance vectors in tests/vectors, and the byte inputs they
// describe.

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const VECTORS = fileURLToPath(new URL('../../../../tests/vectors/', import.meta.url));

// Integers past 2^53 (u64 sizes) would lose precision as numbers: integer
// literals of 16 digits or more outside strings are read as strings, in the
// vectors and in what the core returns alike.
export function parseBig(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch >= '0' && ch <= '9') {
      let j = i;
      while (j < text.length && /[0-9.eE+-]/.test(text[j])) j++;
      const num = text.slice(i, j);
      out += /^\d{16,}$/.test(num) ? `"${num}"` : num;
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return JSON.parse(out);
}

export function readVector(dir, file) {
  return parseBig(readFileSync(join(VECTORS, dir, file), 'utf8'));
}

/** Every case of every JSON file of a folder, as [file, case]. */
export function cases(dir) {
  const out = [];
  for (const f of readdirSync(join(VECTORS, dir)).filter((f) => f.endsWith('.json')).sort()) {
    for (const c of readVector(dir, f).cases ?? []) out.push([f, c]);
  }
  return out;
}

/** The bytes of an input description (tests/vectors/upload/README.md). */
export function inputBytes(input) {
  switch (input.kind) {
    case 'ascii':
      return new TextEncoder().encode(input.value);
    case 'hex':
      return Uint8Array.from(input.value.match(/../g) ?? [], (h) => parseInt(h, 16));
    case 'repeat':
      return new Uint8Array(Number(input.len)).fill(input.byte);
    case 'pattern':
      return Uint8Array.from({ length: Number(input.len) }, (_, i) => i % 251);
    default:
      throw new Error(`unknown input kind ${input.kind}`);
  }
}

export function b64(s) {
  return new Uint8Array(Buffer.from(s, 'base64'));
}
