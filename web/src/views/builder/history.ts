/**
 * Undo/redo over snapshots of the working page. Typing into one field records one step
 * per pause rather than one per keystroke: consecutive edits with the same key within
 * `coalesceMs` replace the last step instead of adding one.
 */
export interface History<T> {
  /** Records the state reached by an edit (the state before it stays undoable). */
  record(state: T, key?: string): void;
  undo(): T | null;
  redo(): T | null;
  canUndo(): boolean;
  canRedo(): boolean;
  /** Forgets everything and starts from `state` (a page loaded, theirs taken). */
  reset(state: T): void;
  readonly limit: number;
}

export function createHistory<T>(initial: T, options: { limit?: number; coalesceMs?: number; now?: () => number } = {}): History<T> {
  const limit = options.limit ?? 100;
  const coalesceMs = options.coalesceMs ?? 1000;
  const now = options.now ?? (() => Date.now());
  let past: T[] = [];
  let present: T = structuredClone(initial);
  let future: T[] = [];
  let lastKey: string | undefined;
  let lastAt = 0;

  return {
    limit,
    record(state, key) {
      const t = now();
      if (key !== undefined && key === lastKey && t - lastAt < coalesceMs && past.length > 0) {
        present = structuredClone(state);
      } else {
        past.push(present);
        if (past.length > limit) past = past.slice(past.length - limit);
        present = structuredClone(state);
      }
      future = [];
      lastKey = key;
      lastAt = t;
    },
    undo() {
      const prev = past.pop();
      if (prev === undefined) return null;
      future.push(present);
      present = prev;
      lastKey = undefined;
      return structuredClone(present);
    },
    redo() {
      const next = future.pop();
      if (next === undefined) return null;
      past.push(present);
      present = next;
      lastKey = undefined;
      return structuredClone(present);
    },
    canUndo: () => past.length > 0,
    canRedo: () => future.length > 0,
    reset(state) {
      past = [];
      future = [];
      present = structuredClone(state);
      lastKey = undefined;
    },
  };
}
