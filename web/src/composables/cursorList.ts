/**
 * The list pattern's paging half: the API pages with `next_cursor`; "show more" appends
 * the next page. Reloads when the screen's filters change.
 */
import { ref, shallowRef, type Ref } from 'vue';
import { ApiProblem } from '@/api/problem';

export interface CursorPage<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface CursorList<T> {
  readonly items: Ref<T[]>;
  readonly nextCursor: Ref<string | null>;
  /** First page loading (the list shows a loading state). */
  readonly loading: Ref<boolean>;
  /** A further page loading (the "more" button shows it). */
  readonly loadingMore: Ref<boolean>;
  /** The last load's error message. */
  readonly error: Ref<string | null>;
  /** Whether a first page has arrived (so an empty list is really empty). */
  readonly loaded: Ref<boolean>;
  reload(): Promise<void>;
  more(): Promise<void>;
}

export function useCursorList<T>(
  load: (cursor: string | null) => Promise<CursorPage<T>>,
  fallbackMessage: () => string,
): CursorList<T> {
  const items = shallowRef<T[]>([]);
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const loadingMore = ref(false);
  const error = ref<string | null>(null);
  const loaded = ref(false);
  let generation = 0;

  function messageOf(e: unknown): string {
    return e instanceof ApiProblem ? e.message : fallbackMessage();
  }

  async function reload(): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const page = await load(null);
      if (mine !== generation) return;
      items.value = page.items;
      nextCursor.value = page.next_cursor ?? null;
      loaded.value = true;
    } catch (e) {
      if (mine !== generation) return;
      items.value = [];
      nextCursor.value = null;
      error.value = messageOf(e);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function more(): Promise<void> {
    const cursor = nextCursor.value;
    if (cursor === null || loadingMore.value) return;
    const mine = generation;
    loadingMore.value = true;
    error.value = null;
    try {
      const page = await load(cursor);
      if (mine !== generation) return;
      items.value = [...items.value, ...page.items];
      nextCursor.value = page.next_cursor ?? null;
    } catch (e) {
      if (mine === generation) error.value = messageOf(e);
    } finally {
      loadingMore.value = false;
    }
  }

  return { items, nextCursor, loading, loadingMore, error, loaded, reload, more };
}
