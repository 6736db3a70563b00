/**
 * The working page and the edits the builder makes to it, as pure functions over plain
 * data: every edit returns a new layout (the old one stays intact for undo).
 * Layout: `{"components": [{"id", "type", "props", "children"?}]}` (src/domain/layout.rs).
 */

export interface LayoutComponent {
  id: string;
  type: string;
  props: Record<string, unknown>;
  children?: LayoutComponent[];
}

export interface Layout {
  components: LayoutComponent[];
}

/** What the builder edits and saves: PageInput without server fields. */
export interface WorkingPage {
  slug: string;
  title: string;
  navigation_bar: Record<string, unknown>;
  layout: Layout;
}

/** Where a component sits: the list holding it (null parent = the page) and its index. */
export interface Place {
  parentId: string | null;
  index: number;
}

export function asLayout(value: unknown): Layout {
  const v = value as { components?: unknown } | null | undefined;
  return { components: Array.isArray(v?.components) ? (structuredClone(v.components) as LayoutComponent[]) : [] };
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Every component, depth first (document order). */
export function walk(list: LayoutComponent[], out: LayoutComponent[] = []): LayoutComponent[] {
  for (const c of list) {
    out.push(c);
    if (c.children) walk(c.children, out);
  }
  return out;
}

export function findComponent(layout: Layout, id: string): LayoutComponent | null {
  return walk(layout.components).find((c) => c.id === id) ?? null;
}

/** The list a component is in, and where. */
export function placeOf(layout: Layout, id: string): Place | null {
  const search = (list: LayoutComponent[], parentId: string | null): Place | null => {
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (c.id === id) return { parentId, index: i };
      if (c.children) {
        const found = search(c.children, c.id);
        if (found) return found;
      }
    }
    return null;
  };
  return search(layout.components, null);
}

function listOf(layout: Layout, parentId: string | null): LayoutComponent[] | null {
  if (parentId === null) return layout.components;
  const parent = findComponent(layout, parentId);
  if (!parent) return null;
  parent.children ??= [];
  return parent.children;
}

/** A fresh id for a component of `type` (`type-N`, unique in the layout, the server's id alphabet). */
export function newId(layout: Layout, type: string): string {
  const taken = new Set(walk(layout.components).map((c) => c.id));
  const base = type.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 50) || 'c';
  for (let n = 1; ; n++) {
    const id = `${base}-${n}`;
    if (!taken.has(id)) return id;
  }
}

export function insert(layout: Layout, component: LayoutComponent, parentId: string | null, index?: number): Layout {
  const next = clone(layout);
  const list = listOf(next, parentId) ?? next.components;
  list.splice(index === undefined ? list.length : Math.max(0, Math.min(index, list.length)), 0, clone(component));
  return next;
}

export function remove(layout: Layout, id: string): Layout {
  const next = clone(layout);
  const place = placeOf(next, id);
  if (!place) return next;
  listOf(next, place.parentId)!.splice(place.index, 1);
  return next;
}

/** A copy right after the original, with fresh ids for it and everything inside it. */
export function duplicate(layout: Layout, id: string): { layout: Layout; copyId: string | null } {
  const original = findComponent(layout, id);
  const place = placeOf(layout, id);
  if (!original || !place) return { layout, copyId: null };
  let next = clone(layout);
  const copy = clone(original);
  const renumber = (c: LayoutComponent, taken: Layout): void => {
    c.id = newId(taken, c.type);
    taken.components.push({ id: c.id, type: c.type, props: {} });
    for (const child of c.children ?? []) renumber(child, taken);
  };
  renumber(copy, { components: walk(next.components).map((c) => ({ ...c, children: undefined })) });
  next = insert(next, copy, place.parentId, place.index + 1);
  return { layout: next, copyId: copy.id };
}

/** Moves a component by `delta` places within its list. */
export function shift(layout: Layout, id: string, delta: number): Layout {
  const next = clone(layout);
  const place = placeOf(next, id);
  if (!place) return next;
  const list = listOf(next, place.parentId)!;
  const target = place.index + delta;
  if (target < 0 || target >= list.length) return next;
  const [item] = list.splice(place.index, 1);
  list.splice(target, 0, item!);
  return next;
}

/** Moves a component into another list (a container's, or the page's) at `index`. */
export function moveTo(layout: Layout, id: string, parentId: string | null, index: number): Layout {
  const component = findComponent(layout, id);
  if (!component) return layout;
  // Never into itself or its own descendants.
  if (parentId !== null && (parentId === id || walk(component.children ?? []).some((c) => c.id === parentId))) return layout;
  return insert(remove(layout, id), component, parentId, index);
}

/** A value at a path of keys and indexes inside an object (undefined when absent). */
export function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/** A copy of `root` with the value at `path` set (`undefined` removes an object key). */
export function setAt<T>(root: T, path: readonly (string | number)[], value: unknown): T {
  if (path.length === 0) return clone(value) as T;
  const next = clone(root) as unknown as Record<string | number, unknown>;
  let cur: Record<string | number, unknown> = next;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const child = cur[key];
    if (child === null || typeof child !== 'object') cur[key] = typeof path[i + 1] === 'number' ? [] : {};
    cur = cur[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined && !Array.isArray(cur)) delete cur[last];
  else cur[last] = clone(value);
  return next as unknown as T;
}

/** A component's props with one property changed. */
export function setProp(layout: Layout, id: string, path: readonly (string | number)[], value: unknown): Layout {
  const next = clone(layout);
  const component = findComponent(next, id);
  if (!component) return next;
  component.props = setAt(component.props ?? {}, path, value);
  return next;
}

/** `/components/1/children/0/props/slides/2/asset_id` → the component's id and `["slides", 2, "asset_id"]`. */
export function locatePointer(layout: Layout, pointer: string): { componentId: string | null; propPath: string[] } {
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let list = layout.components;
  let componentId: string | null = null;
  let i = 0;
  while (i + 1 < segments.length && (segments[i] === 'components' || segments[i] === 'children')) {
    const c = list[Number(segments[i + 1])];
    if (!c) break;
    componentId = c.id;
    list = c.children ?? [];
    i += 2;
  }
  const propPath = segments[i] === 'props' ? segments.slice(i + 1) : [];
  return { componentId, propPath };
}
