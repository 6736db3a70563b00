// vuedraggable 4.1's own declaration types neither its events nor most Sortable options;
// the props and the change event the builder uses.
declare module 'vuedraggable' {
  import type { DefineComponent } from 'vue';

  export interface DraggableChange<T> {
    added?: { element: T; newIndex: number };
    removed?: { element: T; oldIndex: number };
    moved?: { element: T; oldIndex: number; newIndex: number };
  }

  const draggable: DefineComponent<{
    list?: unknown[];
    modelValue?: unknown[];
    itemKey: string | ((item: unknown) => string | number);
    group?: string | { name: string; pull?: boolean | 'clone'; put?: boolean };
    clone?: (original: never) => unknown;
    sort?: boolean;
    tag?: string;
    handle?: string;
    animation?: number;
    ghostClass?: string;
    emptyInsertThreshold?: number;
    swapThreshold?: number;
    fallbackOnBody?: boolean;
    disabled?: boolean;
  }>;
  export default draggable;
}
