/**
 * Saving the working page: PUT with `If-Match: "<revision>"`, on request and after 2 s
 * without edits. A 412 means someone else saved first: nothing is overwritten, the
 * conflict is reported (the screen offers to load theirs or overwrite after confirming).
 * A 422 lists the layout's faults. The working copy stays in localStorage until a save
 * succeeds.
 */
import { ref, shallowRef, watch, type Ref } from 'vue';
import { api, call, type Schemas } from '@/api';
import { ApiProblem } from '@/api/problem';
import { layoutFaults, type LayoutFault } from '@/api/builder';
import { clearDraft, samePage, writeDraft } from './localDraft';
import type { WorkingPage } from './layout';

export const AUTOSAVE_IDLE_MS = 2000;

type PageView = Schemas['PageView'];

export interface Conflict {
  /** Their revision (from the 412's details), to overwrite with. */
  currentRevision: number | null;
}

export interface PageSaver {
  revision: Ref<number>;
  /** The page as last saved (or loaded). */
  saved: Ref<WorkingPage | null>;
  dirty: Ref<boolean>;
  saving: Ref<boolean>;
  lastSavedAt: Ref<Date | null>;
  conflict: Ref<Conflict | null>;
  faults: Ref<LayoutFault[]>;
  error: Ref<string | null>;
  /** Takes a page as the saved state (after loading or taking theirs). */
  adopt(view: PageView, page: WorkingPage): void;
  save(options?: { overwrite?: boolean }): Promise<boolean>;
  /** Stops the idle timer (leaving the screen). */
  dispose(): void;
}

export function usePageSaver(
  pageId: () => string,
  working: Ref<WorkingPage | null>,
  fallbackMessage: () => string,
  options: {
    idleMs?: number;
    /** While a kept copy from an earlier session awaits the merchant's decision, it is not overwritten. */
    holdLocalCopy?: () => boolean;
    /** While the tenant's state closes writes, idle saves would only be refused: skip them. */
    writesClosed?: () => boolean;
    /** Told of every failed save (a refusal for the tenant's state reloads it). */
    onFailure?: (error: unknown) => void;
  } = {},
): PageSaver {
  const revision = ref(0);
  const saved = shallowRef<WorkingPage | null>(null);
  const dirty = ref(false);
  const saving = ref(false);
  const lastSavedAt = ref<Date | null>(null);
  const conflict = shallowRef<Conflict | null>(null);
  const faults = shallowRef<LayoutFault[]>([]);
  const error = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the working copy changed since the last save attempt (a refused save is not retried unchanged). */
  let changedSinceAttempt = false;

  function adopt(view: PageView, page: WorkingPage): void {
    revision.value = view.revision;
    saved.value = page;
    conflict.value = null;
    faults.value = [];
    error.value = null;
    dirty.value = working.value ? !samePage(working.value, page) : false;
  }

  watch(working, (page) => {
    if (!page || !saved.value) return;
    dirty.value = !samePage(page, saved.value);
    changedSinceAttempt = true;
    if (!options.holdLocalCopy?.()) {
      if (dirty.value) writeDraft(pageId(), { baseRevision: revision.value, page, savedAt: new Date().toISOString() });
      else clearDraft(pageId());
    }
    if (timer) clearTimeout(timer);
    if (dirty.value) timer = setTimeout(() => void autosave(), options.idleMs ?? AUTOSAVE_IDLE_MS);
  });

  async function autosave(): Promise<void> {
    if (saving.value || conflict.value || !changedSinceAttempt || options.writesClosed?.()) return;
    await save();
  }

  async function save(opts: { overwrite?: boolean } = {}): Promise<boolean> {
    const page = working.value;
    if (!page || saving.value) return false;
    if (timer) clearTimeout(timer);
    const ifMatch = opts.overwrite && conflict.value?.currentRevision != null ? conflict.value.currentRevision : revision.value;
    saving.value = true;
    changedSinceAttempt = false;
    try {
      const view = await call(
        api.PUT('/api/v1/pages/{page_id}', {
          params: { path: { page_id: pageId() }, header: { 'If-Match': `"${ifMatch}"` } },
          body: { slug: page.slug, title: page.title, navigation_bar: page.navigation_bar as Schemas['NavigationBar'], layout: page.layout },
        }),
      );
      revision.value = view.revision;
      saved.value = page;
      conflict.value = null;
      faults.value = [];
      error.value = null;
      lastSavedAt.value = new Date();
      // Edits made while the save was on its way stay dirty (and in local storage).
      dirty.value = working.value ? !samePage(working.value, page) : false;
      if (!dirty.value && !options.holdLocalCopy?.()) clearDraft(pageId());
      return true;
    } catch (e) {
      options.onFailure?.(e);
      if (e instanceof ApiProblem && e.status === 412) {
        const details = (e.details ?? {}) as { current_revision?: unknown };
        conflict.value = { currentRevision: typeof details.current_revision === 'number' ? details.current_revision : null };
        return false;
      }
      const found = layoutFaults(e);
      faults.value = found;
      error.value = found.length ? null : e instanceof ApiProblem ? e.message : fallbackMessage();
      if (found.length && e instanceof ApiProblem) error.value = e.message;
      return false;
    } finally {
      saving.value = false;
    }
  }

  return {
    revision,
    saved,
    dirty,
    saving,
    lastSavedAt,
    conflict,
    faults,
    error,
    adopt,
    save,
    dispose: () => timer && clearTimeout(timer),
  };
}
