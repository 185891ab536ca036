// A double-ended queue on a growable ring: a pool's event buffer takes from
// the front, appends at the back and puts rejected events back at the front,
// each in O(1) whatever buffer_size is.
export class Deque<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  private grow(): void {
    const old = this.items;
    const next: (T | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) % old.length];
    this.items = next;
    this.head = 0;
  }

  push(v: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) % this.items.length] = v;
    this.size++;
  }

  unshift(v: T): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = v;
    this.size++;
  }

  shift(): T | undefined {
    if (!this.size) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    // a burst is over: give back the room it needed
    if (this.size === 0 && this.items.length > 1024) this.clear();
    return v;
  }

  /** the i-th from the front */
  at(i: number): T | undefined {
    return i >= 0 && i < this.size ? this.items[(this.head + i) % this.items.length] : undefined;
  }

  peek(): T | undefined {
    return this.size ? this.items[this.head] : undefined;
  }

  clear(): void {
    this.items = new Array(16);
    this.head = 0;
    this.size = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.items[(this.head + i) % this.items.length] as T;
  }
}
