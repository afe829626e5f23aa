/** Each of stdout, stderr and result is capped at this many UTF-8 bytes. */
export const OUTPUT_CAP_BYTES = 1_000_000;

export const TRUNCATION_MARKER = "\n…[output truncated at 1 MB]";

/** Collects one output stream up to a byte cap; past it, keeps only a marker. */
export class OutputBuffer {
  #chunks: string[] = [];
  #bytes = 0;
  #truncated = false;
  readonly #cap: number;

  constructor(cap = OUTPUT_CAP_BYTES) {
    this.#cap = cap;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  append(text: string): void {
    if (this.#truncated || text.length === 0) return;
    const bytes = Buffer.byteLength(text);
    if (this.#bytes + bytes <= this.#cap) {
      this.#chunks.push(text);
      this.#bytes += bytes;
      return;
    }
    this.#chunks.push(headBytes(text, this.#cap - this.#bytes));
    this.#bytes = this.#cap;
    this.#truncated = true;
  }

  toString(): string {
    const text = this.#chunks.join("");
    return this.#truncated ? text + TRUNCATION_MARKER : text;
  }
}

/** The longest prefix of text that fits in n UTF-8 bytes, never splitting a character. */
function headBytes(text: string, n: number): string {
  const head = Buffer.from(text).subarray(0, n).toString("utf8");
  return head.endsWith("\uFFFD") && !text.startsWith(head) ? head.slice(0, -1) : head;
}

/** A whole string through the same cap (for `result`, which arrives in one piece). */
export function capText(text: string, cap = OUTPUT_CAP_BYTES): string {
  const buffer = new OutputBuffer(cap);
  buffer.append(text);
  return buffer.toString();
}
