/**
 * Deterministic identifiers: the same scenario and seed give the same job run ids, event ids and
 * request ids, so two drill runs can be compared line by line.
 */
export class IdSource {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** mulberry32: small, fast and good enough for identifiers. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  chars(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)]!;
    return s;
  }

  hex(n: number): string {
    return this.chars(n, '0123456789abcdef');
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  /** EMR Serverless style: 16 lowercase characters starting with `00f`. */
  emrId(): string {
    return `00f${this.chars(13, '0123456789abcdefghijklmnopqrstuvwxyz')}`;
  }
}
