/** Gives back what was added; calling it again does nothing. */
export type Release = () => void;

/** Amounts in use per key (a team) in this process; each amount added is given back once. */
export class Tally {
  readonly #amounts = new Map<string, number>();

  of(key: string): number {
    return this.#amounts.get(key) ?? 0;
  }

  add(key: string, amount: number): Release {
    this.#amounts.set(key, this.of(key) + amount);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.of(key) - amount;
      if (left > 0) this.#amounts.set(key, left);
      else this.#amounts.delete(key);
    };
  }
}
