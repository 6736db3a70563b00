/**
 * What a generated property form needs from the screen around it: the pages a link can
 * point at, how an asset id becomes an image URL, and the language of the labels.
 */
import { inject, provide, type InjectionKey, type Ref } from 'vue';

export interface PageChoice {
  slug: string;
  title: string;
}

export interface FormContext {
  /** Pages of this mini-program (link targets). */
  pages: Ref<PageChoice[]>;
  /** The URL the console loads an asset's image from (null when unknown). */
  assetUrl(id: string): string | null;
}

const KEY: InjectionKey<FormContext> = Symbol('form-context');

export function provideFormContext(context: FormContext): void {
  provide(KEY, context);
}

export function injectFormContext(): FormContext {
  return inject(KEY, { pages: { value: [] } as unknown as Ref<PageChoice[]>, assetUrl: () => null });
}

/** An edit a form reports: the path inside the props, and the new value (undefined: remove). */
export interface PropEdit {
  path: (string | number)[];
  value: unknown;
}

export function dotted(path: readonly (string | number)[]): string {
  return path.join('.');
}
