/**
 * The JSON Schema subset the component catalogue uses (src/domain/schema.rs), read by the
 * property-form renderer. Labels come from the schema's own annotations — `x-label`,
 * `x-help`, `x-enum-labels`, `x-widget` (page-templates/README.md) — so a component type
 * added to the templates folder gets a panel with no console change.
 */
import type { UiLanguage } from '@/i18n';

export type Localized = Partial<Record<UiLanguage, string>>;

export interface SchemaNode {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  'x-label'?: Localized;
  'x-help'?: Localized;
  'x-enum-labels'?: Record<string, Localized>;
  'x-widget'?: string;
  'x-rich-text'?: boolean;
}

/** The editor a schema node gets. */
export type Widget =
  | 'text'
  | 'textarea'
  | 'color'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'asset-image'
  | 'asset-video'
  | 'link'
  | 'rich-text'
  | 'array'
  | 'object'
  | 'unsupported';

export function asSchema(value: unknown): SchemaNode {
  return value && typeof value === 'object' ? (value as SchemaNode) : {};
}

function typeOf(node: SchemaNode): string | undefined {
  return Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;
}

export function widgetFor(node: SchemaNode): Widget {
  if (node['x-rich-text']) return 'rich-text';
  if (Array.isArray(node.enum)) return 'enum';
  const type = typeOf(node);
  switch (type) {
    case 'string':
      if (node.format === 'asset-image') return 'asset-image';
      if (node.format === 'asset-video') return 'asset-video';
      if (node.format === 'link') return 'link';
      if (node['x-widget'] === 'color') return 'color';
      if (node['x-widget'] === 'textarea') return 'textarea';
      return 'text';
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'array';
    case 'object':
      return 'object';
    default:
      return 'unsupported';
  }
}

/** A localized annotation in the UI language (the other language, then a fallback, when missing). */
export function localized(value: Localized | undefined, lang: UiLanguage, fallback: string): string {
  if (!value) return fallback;
  return value[lang] || value['zh-CN'] || value.en || fallback;
}

export function labelOf(node: SchemaNode, name: string, lang: UiLanguage): string {
  return localized(node['x-label'], lang, node.title || name);
}

export function helpOf(node: SchemaNode, lang: UiLanguage): string | undefined {
  const help = node['x-help'];
  return help ? localized(help, lang, '') || undefined : undefined;
}

export function enumLabel(node: SchemaNode, value: unknown, lang: UiLanguage): string {
  return localized(node['x-enum-labels']?.[String(value)], lang, String(value));
}

/** What a new component's required fields start with where the schema has no default. */
export interface Seed {
  /** Text for a required string (the component's name, so the merchant sees what to replace). */
  text: string;
  /** A link for a required link (a page of this mini-program). */
  link: string;
}

/** The value a new field starts with: its default, else an empty value of its type. */
export function initialValue(node: SchemaNode, seed: Seed): unknown {
  if (node.default !== undefined) return structuredClone(node.default);
  if (Array.isArray(node.enum)) return node.enum[0];
  switch (widgetFor(node)) {
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return node.minimum ?? 0;
    case 'array':
    case 'rich-text': {
      const min = node.minItems ?? 0;
      return Array.from({ length: min }, () => (node.items ? initialValue(node.items, seed) : null));
    }
    case 'object':
      return initialObject(node, seed);
    case 'asset-image':
      // A system placeholder (readable by every tenant) until the merchant picks one.
      return 'sys-placeholder-square';
    case 'text':
    case 'textarea':
      return node.minLength && node.minLength > 0 && !node.pattern ? seed.text.slice(0, node.maxLength ?? seed.text.length) : '';
    case 'link':
      return seed.link;
    default:
      return null;
  }
}

/**
 * The props of a new component: every required property (and every property with a
 * default) filled, so it renders at once; optional ones without a default stay absent.
 */
export function initialObject(node: SchemaNode, seed: Seed): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = new Set(node.required ?? []);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (required.has(name)) out[name] = initialValue(child, seed);
    else if (child.default !== undefined && child.default !== null) out[name] = structuredClone(child.default);
  }
  return out;
}

/** Whether a property may be left out (cleared) rather than set. */
export function isOptional(parent: SchemaNode, name: string): boolean {
  return !(parent.required ?? []).includes(name);
}

/** Editors that say what a component shows come before those that tune how it looks. */
const CONTENT_FIRST: readonly Widget[] = ['text', 'textarea', 'rich-text', 'asset-image', 'asset-video', 'array', 'object', 'link'];

/**
 * The order properties are shown in: required ones in the order `required` lists them,
 * then content before looks, alphabetically within each. The catalogue is served with
 * its object keys sorted, so the schema's own key order does not survive the trip.
 */
export function propertyOrder(node: SchemaNode): [string, SchemaNode][] {
  const required = node.required ?? [];
  const rank = (name: string, child: SchemaNode): number => {
    const r = required.indexOf(name);
    if (r >= 0) return r;
    return required.length + (CONTENT_FIRST.includes(widgetFor(child)) ? 0 : 1000);
  };
  return Object.entries(node.properties ?? {}).sort(([a, x], [b, y]) => rank(a, x) - rank(b, y) || a.localeCompare(b));
}
