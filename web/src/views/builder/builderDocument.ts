/**
 * The page being edited: the working copy, the edits (each one undoable, at least 50
 * steps), and the selected component.
 */
import { computed, ref, shallowRef, type Ref } from 'vue';
import { createHistory, type History } from './history';
import * as ops from './layout';
import type { LayoutComponent, WorkingPage } from './layout';

export const UNDO_STEPS = 100;

export interface BuilderDocument {
  working: Ref<WorkingPage | null>;
  selectedId: Ref<string | null>;
  selected: Ref<LayoutComponent | null>;
  canUndo: Ref<boolean>;
  canRedo: Ref<boolean>;
  /** Starts over from a page (loaded, or theirs after a conflict): history cleared. */
  load(page: WorkingPage): void;
  /** Applies an edit; `key` merges a burst of edits to one field into one undo step. */
  apply(next: WorkingPage, key?: string): void;
  setTitle(title: string): void;
  /** The navigation bar's own title ('' = the page title). */
  setBarTitle(title: string): void;
  setProp(id: string, path: (string | number)[], value: unknown): void;
  add(component: LayoutComponent, parentId: string | null, index?: number): void;
  move(id: string, parentId: string | null, index: number): void;
  shift(id: string, delta: number): void;
  duplicate(id: string): void;
  remove(id: string): void;
  undo(): void;
  redo(): void;
}

export function useBuilderDocument(): BuilderDocument {
  const working = shallowRef<WorkingPage | null>(null);
  const selectedId = ref<string | null>(null);
  let history: History<WorkingPage> | null = null;
  // History is not reactive; this counter makes canUndo/canRedo recompute.
  const tick = ref(0);

  const selected = computed(() => (working.value && selectedId.value ? ops.findComponent(working.value.layout, selectedId.value) : null));
  const canUndo = computed(() => (tick.value, history?.canUndo() ?? false));
  const canRedo = computed(() => (tick.value, history?.canRedo() ?? false));

  function load(page: WorkingPage): void {
    working.value = ops.clone(page);
    history = createHistory(page, { limit: UNDO_STEPS });
    if (selectedId.value && !ops.findComponent(page.layout, selectedId.value)) selectedId.value = null;
    tick.value++;
  }

  function apply(next: WorkingPage, key?: string): void {
    working.value = next;
    history?.record(next, key);
    tick.value++;
  }

  function edit(change: (page: WorkingPage) => WorkingPage, key?: string): void {
    if (working.value) apply(change(working.value), key);
  }

  function restoreFrom(state: WorkingPage | null | undefined): void {
    if (!state) return;
    working.value = state;
    if (selectedId.value && !ops.findComponent(state.layout, selectedId.value)) selectedId.value = null;
    tick.value++;
  }

  return {
    working,
    selectedId,
    selected,
    canUndo,
    canRedo,
    load,
    apply,
    setTitle: (title) => edit((p) => ({ ...p, title }), 'title'),
    setBarTitle: (title) =>
      edit((p) => {
        const bar = { ...p.navigation_bar };
        if (title) bar.title = title;
        else delete bar.title;
        return { ...p, navigation_bar: bar };
      }, 'bar-title'),
    setProp: (id, path, value) => edit((p) => ({ ...p, layout: ops.setProp(p.layout, id, path, value) }), `prop:${id}:${path.join('.')}`),
    add(component, parentId, index) {
      edit((p) => ({ ...p, layout: ops.insert(p.layout, component, parentId, index) }));
      selectedId.value = component.id;
    },
    move: (id, parentId, index) => edit((p) => ({ ...p, layout: ops.moveTo(p.layout, id, parentId, index) })),
    shift: (id, delta) => edit((p) => ({ ...p, layout: ops.shift(p.layout, id, delta) })),
    duplicate(id) {
      const page = working.value;
      if (!page) return;
      const { layout, copyId } = ops.duplicate(page.layout, id);
      apply({ ...page, layout });
      if (copyId) selectedId.value = copyId;
    },
    remove(id) {
      edit((p) => ({ ...p, layout: ops.remove(p.layout, id) }));
      if (selectedId.value === id) selectedId.value = null;
    },
    undo: () => restoreFrom(history?.undo()),
    redo: () => restoreFrom(history?.redo()),
  };
}
