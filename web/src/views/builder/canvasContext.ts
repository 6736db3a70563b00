/** What every item of the (recursive) canvas needs, provided once by the builder. */
import { inject, provide, type InjectionKey, type Ref } from 'vue';
import type { RenderedBlock } from '@/preview/types';
import type { LayoutComponent } from './layout';

export interface CanvasContext {
  blocks: Ref<Map<string, RenderedBlock>>;
  selectedId: Ref<string | null>;
  /** Messages of the server's faults by component id. */
  faultsById: Ref<Map<string, string[]>>;
  displayName(type: string): string;
  select(id: string): void;
  /** A drop: an existing component moved, or a new one from the palette. */
  drop(component: LayoutComponent, parentId: string | null, index: number): void;
  shift(id: string, delta: number): void;
  duplicate(id: string): void;
  remove(id: string): void;
  /** True while the tenant's state closes writes: the page is shown, nothing moves or changes. */
  readonly?: Ref<boolean>;
}

const KEY: InjectionKey<CanvasContext> = Symbol('canvas');

export function provideCanvas(context: CanvasContext): void {
  provide(KEY, context);
}

export function injectCanvas(): CanvasContext {
  const context = inject(KEY);
  if (!context) throw new Error('the canvas is used outside the builder');
  return context;
}
