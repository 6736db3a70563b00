/**
 * The working page kept in localStorage while it differs from the saved one, so a crash
 * or a reload does not lose it (offered back on the next open). Page content only: no
 * token or session data is ever written here.
 */
import type { WorkingPage } from './layout';

export interface LocalDraft {
  /** The server revision the edits started from (a save then meets any newer one with 412). */
  baseRevision: number;
  page: WorkingPage;
  savedAt: string;
}

const PREFIX = 'weapp.builder.draft.';

export function draftKey(pageId: string): string {
  return `${PREFIX}${pageId}`;
}

export function readDraft(pageId: string, storage: Storage | undefined = globalThis.localStorage): LocalDraft | null {
  try {
    const raw = storage?.getItem(draftKey(pageId));
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<LocalDraft>;
    if (typeof parsed.baseRevision !== 'number' || !parsed.page || typeof parsed.savedAt !== 'string') return null;
    return parsed as LocalDraft;
  } catch {
    return null;
  }
}

export function writeDraft(pageId: string, draft: LocalDraft, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(draftKey(pageId), JSON.stringify(draft));
  } catch {
    // Storage full or unavailable: the server copy and autosave still protect the work.
  }
}

export function clearDraft(pageId: string, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.removeItem(draftKey(pageId));
  } catch {
    // nothing to clear
  }
}

/** Whether two working pages are the same content. */
export function samePage(a: WorkingPage, b: WorkingPage): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
