/**
 * Preview = the server's rendering: the working page is sent to POST /pages/render a
 * short pause after each change (the newer request aborts the older), and the canvas
 * draws what came back. A 422 keeps the last good rendering and lists every fault with
 * its pointer, so the canvas marks the component and the panel the property.
 */
import { ref, shallowRef, watch, type Ref } from 'vue';
import { ApiProblem } from '@/api/problem';
import { layoutFaults, renderLayout, type LayoutFault } from '@/api/builder';
import type { RenderedBlock, RenderedPage } from '@/preview/types';
import type { WorkingPage } from './layout';

export const RENDER_DEBOUNCE_MS = 150;

export interface RenderPreview {
  rendered: Ref<RenderedPage | null>;
  /** Rendered blocks by component id (nested ones too). */
  blocks: Ref<Map<string, RenderedBlock>>;
  faults: Ref<LayoutFault[]>;
  /** A failure that is not about the layout (network, server). */
  error: Ref<string | null>;
  rendering: Ref<boolean>;
  /** Increments after each answer (tests and the timing script wait on it). */
  answers: Ref<number>;
  flush(): Promise<void>;
}

function indexBlocks(list: RenderedBlock[], into = new Map<string, RenderedBlock>()): Map<string, RenderedBlock> {
  for (const b of list) {
    into.set(b.id, b);
    if (Array.isArray(b.children)) indexBlocks(b.children, into);
  }
  return into;
}

export function useRenderPreview(
  working: Ref<WorkingPage | null>,
  fallbackMessage: () => string,
  render: typeof renderLayout = renderLayout,
): RenderPreview {
  const rendered = shallowRef<RenderedPage | null>(null);
  const blocks = shallowRef(new Map<string, RenderedBlock>());
  const faults = shallowRef<LayoutFault[]>([]);
  const error = ref<string | null>(null);
  const rendering = ref(false);
  const answers = ref(0);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | null = null;
  let lastSent = '';

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const page = working.value;
    if (!page) return;
    const body = { slug: page.slug, title: page.title, navigation_bar: page.navigation_bar, layout: page.layout };
    const key = JSON.stringify(body);
    if (key === lastSent) return;
    lastSent = key;
    inflight?.abort();
    const mine = new AbortController();
    inflight = mine;
    rendering.value = true;
    try {
      const page = await render(body, mine.signal);
      if (mine.signal.aborted) return;
      rendered.value = page;
      blocks.value = indexBlocks(page.components ?? []);
      faults.value = [];
      error.value = null;
    } catch (e) {
      if (mine.signal.aborted) return;
      const found = layoutFaults(e);
      if (found.length) {
        faults.value = found;
        error.value = null;
      } else {
        // Not the layout's fault: try again with the next change.
        lastSent = '';
        error.value = e instanceof ApiProblem ? e.message : fallbackMessage();
      }
    } finally {
      if (inflight === mine) {
        inflight = null;
        rendering.value = false;
        answers.value++;
      }
    }
  }

  watch(
    working,
    () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void flush(), RENDER_DEBOUNCE_MS);
    },
    { deep: true },
  );

  return { rendered, blocks, faults, error, rendering, answers, flush };
}
