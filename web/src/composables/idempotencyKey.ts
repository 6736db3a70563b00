/**
 * An `Idempotency-Key` per dialog opening: a new key each time the dialog opens, the same
 * key for every send while it stays open (a double click or a retry after a lost answer
 * replays the first answer instead of recording twice). A definite refusal (4xx: nothing
 * was recorded) takes a fresh key, so a corrected request is not taken for a replay of the
 * refused one; a network error or 5xx keeps it (the first send may have gone through).
 */
import { ref, watch, type Ref } from 'vue';
import { ApiProblem } from '@/api/problem';

export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface IdempotencyKey {
  /** The key for the next send. */
  readonly key: Ref<string>;
  /** After a failed send: a fresh key when the server refused, the same one otherwise. */
  afterFailure(error: unknown): void;
}

export function useIdempotencyKey(open: Ref<boolean>, generate: () => string = newIdempotencyKey): IdempotencyKey {
  const key = ref(generate());
  watch(open, (isOpen, wasOpen) => {
    if (isOpen && !wasOpen) key.value = generate();
  });
  return {
    key,
    afterFailure(error) {
      if (error instanceof ApiProblem && error.status >= 400 && error.status < 500) key.value = generate();
    },
  };
}
