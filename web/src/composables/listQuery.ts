/**
 * The list pattern's filter half: filters live in the URL query (bookmarkable, survive a
 * reload, the back button works), typed by a small spec per screen.
 */
import { reactive, watch } from 'vue';
import type { LocationQuery, LocationQueryRaw } from 'vue-router';
import { useRoute, useRouter } from 'vue-router';

export type FilterKind =
  | { readonly type: 'text' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'uuid' }
  | { readonly type: 'int'; readonly min?: number; readonly max?: number }
  | { readonly type: 'flag' };

export type FilterSpec = Readonly<Record<string, FilterKind>>;

type ValueOf<K extends FilterKind> = K extends { type: 'int' }
  ? number | null
  : K extends { type: 'flag' }
    ? boolean
    : string | null;

export type FilterValues<S extends FilterSpec> = { -readonly [N in keyof S]: ValueOf<S[N]> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function first(value: LocationQuery[string] | undefined): string | null {
  if (Array.isArray(value)) return value.find((v): v is string => typeof v === 'string') ?? null;
  return typeof value === 'string' ? value : null;
}

function readOne(kind: FilterKind, raw: string | null): string | number | boolean | null {
  switch (kind.type) {
    case 'flag':
      return raw === 'true' || raw === '1';
    case 'int': {
      if (raw === null || !/^-?\d+$/.test(raw.trim())) return null;
      const n = Number(raw.trim());
      if (kind.min !== undefined && n < kind.min) return null;
      if (kind.max !== undefined && n > kind.max) return null;
      return n;
    }
    case 'enum':
      return raw !== null && kind.values.includes(raw) ? raw : null;
    case 'uuid':
      return raw !== null && UUID.test(raw) ? raw.toLowerCase() : null;
    case 'text': {
      const t = raw?.trim() ?? '';
      return t === '' ? null : t;
    }
  }
}

/** URL query → typed filters; unknown or malformed values are dropped. */
export function readFilters<S extends FilterSpec>(spec: S, query: LocationQuery): FilterValues<S> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(spec)) out[name] = readOne(kind, first(query[name]));
  return out as FilterValues<S>;
}

/** Typed filters → URL query; empty filters are left out so URLs stay short. */
export function writeFilters<S extends FilterSpec>(spec: S, values: FilterValues<S>): LocationQueryRaw {
  const out: LocationQueryRaw = {};
  for (const [name, kind] of Object.entries(spec)) {
    const v = (values as Record<string, unknown>)[name];
    if (kind.type === 'flag') {
      if (v === true) out[name] = 'true';
    } else if (kind.type === 'int') {
      if (typeof v === 'number' && Number.isFinite(v)) out[name] = String(v);
    } else if (typeof v === 'string' && v.trim() !== '') {
      out[name] = v.trim();
    }
  }
  return out;
}

/** Whether any filter is set. */
export function hasFilters<S extends FilterSpec>(spec: S, values: FilterValues<S>): boolean {
  return Object.keys(writeFilters(spec, values)).length > 0;
}

/** The API query for the filters (the same names, empty ones left out). */
export function filtersToApiQuery<S extends FilterSpec>(
  spec: S,
  values: FilterValues<S>,
): Partial<Record<keyof S, string | number | boolean>> {
  const out: Partial<Record<keyof S, string | number | boolean>> = {};
  for (const name of Object.keys(spec) as (keyof S & string)[]) {
    const v = (values as Record<string, unknown>)[name];
    if (typeof v === 'number' || (typeof v === 'string' && v !== '') || v === true) {
      out[name] = v as string | number | boolean;
    }
  }
  return out;
}

/**
 * Filters bound to the current route: `draft` is what the inputs edit, `applied` is what
 * the URL says (and what the list loads). `apply()` writes the draft to the URL.
 */
export function useRouteFilters<S extends FilterSpec>(spec: S) {
  const route = useRoute();
  const router = useRouter();
  const applied = reactive(readFilters(spec, route.query)) as FilterValues<S>;
  const draft = reactive(readFilters(spec, route.query)) as FilterValues<S>;

  const ownPath = route.path;

  watch(
    () => route.query,
    (query) => {
      // Leaving the screen changes the route too; only this screen's URL counts.
      if (route.path !== ownPath) return;
      const next = readFilters(spec, query);
      Object.assign(applied, next);
      Object.assign(draft, next);
    },
  );

  async function apply(): Promise<void> {
    await router.push({ query: writeFilters(spec, draft) });
  }

  async function reset(): Promise<void> {
    await router.push({ query: {} });
  }

  return { applied, draft, apply, reset };
}
