/**
 * The component catalogue (GET /components: the plan's apps only) as the builder uses
 * it: by type, grouped by app, and a new component of a type with its schema's starting
 * props.
 */
import type { Schemas } from '@/api';
import { asSchema, initialObject, type Seed } from '@/forms/schema';
import { newId, type Layout, type LayoutComponent } from './layout';

export type ComponentInfo = Schemas['ComponentInfo'];

export function groupByApp(items: ComponentInfo[]): { app: string; items: ComponentInfo[] }[] {
  const groups = new Map<string, ComponentInfo[]>();
  for (const item of items) groups.set(item.app, [...(groups.get(item.app) ?? []), item]);
  const order = ['pages', 'media', 'store'];
  return [...groups.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b))
    .map(([app, list]) => ({ app, items: list }));
}

export function newComponent(info: ComponentInfo, layout: Layout, seed: Seed): LayoutComponent {
  const component: LayoutComponent = { id: newId(layout, info.type), type: info.type, props: initialObject(asSchema(info.schema), seed) };
  if (info.children) component.children = [];
  return component;
}
