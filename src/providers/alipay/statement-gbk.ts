/**
 * GBK, the encoding of Alipay's bill files. Node (full ICU) decodes it with
 * TextDecoder('gbk'); it has no encoder, so the simulator's is the decoder's
 * table turned around, built once on first use from every two-byte sequence.
 */

const decoder = (): TextDecoder => new TextDecoder('gbk', { fatal: true });

/** GBK bytes → text; throws on bytes that are not GBK. */
export function decodeGbk(bytes: Uint8Array): string {
  return decoder().decode(bytes);
}

let table: Map<string, number> | null = null;

/** Character → its two GBK bytes (lead << 8 | trail). */
function encodingTable(): Map<string, number> {
  if (table !== null) return table;
  const built = new Map<string, number>();
  const strict = decoder();
  const pair = new Uint8Array(2);
  for (let lead = 0x81; lead <= 0xfe; lead += 1) {
    for (let trail = 0x40; trail <= 0xfe; trail += 1) {
      if (trail === 0x7f) continue;
      pair[0] = lead;
      pair[1] = trail;
      let char: string;
      try {
        char = strict.decode(pair);
      } catch {
        continue; // unassigned
      }
      if (char.length === 1 && !built.has(char)) built.set(char, (lead << 8) | trail);
    }
  }
  table = built;
  return built;
}

/** Text → GBK bytes; throws on a character GBK cannot carry. */
export function encodeGbk(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) {
      bytes.push(code);
      continue;
    }
    const pair = encodingTable().get(char);
    if (pair === undefined) throw new RangeError(`GBK has no ${JSON.stringify(char)}`);
    bytes.push(pair >> 8, pair & 0xff);
  }
  return Uint8Array.from(bytes);
}
