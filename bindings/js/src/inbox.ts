// A queue the driving loop sleeps on: responses, stream progress and abort
// requests are pushed from promise callbacks; the loop takes them one at a
// time, or wakes at its timer.

export class Inbox<T> {
  private items: T[] = [];
  private wake: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The next item, or `undefined` once `timeoutMs` passes (never, when undefined). */
  async next(timeoutMs: number | undefined): Promise<T | undefined> {
    if (this.items.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (timeoutMs !== undefined) timer = setTimeout(resolve, Math.max(0, timeoutMs));
      });
      if (timer !== undefined) clearTimeout(timer);
      this.wake = undefined;
    }
    return this.items.shift();
  }
}
