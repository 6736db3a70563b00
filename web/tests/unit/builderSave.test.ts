// Saving and previewing the working page against a stubbed server: If-Match on every
// save, a 412 becomes a conflict (nothing overwritten), 422 faults keep every pointer,
// the working copy stays in localStorage until a save succeeds, and the preview asks the
// server to render after a short pause and keeps the last good rendering on a 422.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, shallowRef } from 'vue';
import { flushPromises } from '@vue/test-utils';
import type { Schemas } from '@/api';
import { usePageSaver } from '@/views/builder/pageSaver';
import { useRenderPreview, RENDER_DEBOUNCE_MS } from '@/views/builder/renderPreview';
import { readDraft } from '@/views/builder/localDraft';
import type { WorkingPage } from '@/views/builder/layout';

const PAGE_ID = '01a2506b-3de7-762a-be9c-5f2ddc3ebbcf';

function working(text: string): WorkingPage {
  return { slug: 'home', title: '首页', navigation_bar: {}, layout: { components: [{ id: 't', type: 'text', props: { text } }] } };
}
function view(revision: number): Schemas['PageView'] {
  return { id: PAGE_ID, slug: 'home', title: '首页', navigation_bar: {}, revision, is_published: false, taken_down: false, updated_at: '2026-12-07T00:00:00Z' } as Schemas['PageView'];
}
function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

let requests: Request[] = [];
let answer: (req: Request) => Response;
beforeEach(() => {
  requests = [];
  vi.stubGlobal('fetch', vi.fn(async (req: Request) => {
    requests.push(req.clone());
    return answer(req);
  }));
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('saving', () => {
  it('sends If-Match, keeps the draft locally until saved, and turns a 412 into a conflict', async () => {
    const scope = effectScope();
    const page = shallowRef<WorkingPage | null>(working('A'));
    const saver = scope.run(() => usePageSaver(() => PAGE_ID, page, () => 'oops', { idleMs: 60_000 }))!;
    saver.adopt(view(3), working('A'));
    page.value = working('B');
    await nextTick();
    expect(saver.dirty.value).toBe(true);
    expect(readDraft(PAGE_ID)?.page).toEqual(working('B'));
    expect(readDraft(PAGE_ID)?.baseRevision).toBe(3);

    answer = () => json(200, { ...view(4), layout: working('B').layout });
    expect(await saver.save()).toBe(true);
    expect(requests[0]!.method).toBe('PUT');
    expect(requests[0]!.headers.get('If-Match')).toBe('"3"');
    expect(saver.revision.value).toBe(4);
    expect(saver.dirty.value).toBe(false);
    expect(readDraft(PAGE_ID)).toBeNull();

    page.value = working('C');
    await nextTick();
    answer = () => json(412, { code: 'revision_mismatch', message: '别人已保存', details: { current_revision: 7 } });
    expect(await saver.save()).toBe(false);
    expect(saver.conflict.value).toEqual({ currentRevision: 7 });
    expect(saver.dirty.value).toBe(true);
    expect(readDraft(PAGE_ID)?.page).toEqual(working('C'));

    // Overwriting (after the merchant confirmed) uses their revision.
    answer = () => json(200, { ...view(8), layout: working('C').layout });
    expect(await saver.save({ overwrite: true })).toBe(true);
    expect(requests.at(-1)!.headers.get('If-Match')).toBe('"7"');
    expect(saver.conflict.value).toBeNull();
    scope.stop();
  });

  it('keeps every fault of a refused layout', async () => {
    const scope = effectScope();
    const page = shallowRef<WorkingPage | null>(working('A'));
    const saver = scope.run(() => usePageSaver(() => PAGE_ID, page, () => 'oops', { idleMs: 60_000 }))!;
    saver.adopt(view(1), working('x'));
    const errors = [
      { pointer: '/components/0/props/text', component_id: 't', reason: { 'zh-CN': '太长', en: 'too long' } },
      { pointer: '/components/0/props/size', component_id: 't', reason: { 'zh-CN': '无效', en: 'invalid' } },
    ];
    answer = () => json(422, { code: 'validation_failed', message: 'bad', details: { pointer: errors[0]!.pointer, errors } });
    expect(await saver.save()).toBe(false);
    expect(saver.faults.value).toEqual(errors);
    scope.stop();
  });

  it('saves by itself after the idle pause', async () => {
    vi.useFakeTimers();
    const scope = effectScope();
    const page = shallowRef<WorkingPage | null>(working('A'));
    const saver = scope.run(() => usePageSaver(() => PAGE_ID, page, () => 'oops', { idleMs: 2000 }))!;
    saver.adopt(view(1), working('A'));
    answer = () => json(200, view(2));
    page.value = working('B');
    await nextTick();
    await vi.advanceTimersByTimeAsync(1500);
    expect(requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(600);
    await flushPromises();
    expect(requests).toHaveLength(1);
    expect(saver.revision.value).toBe(2);
    scope.stop();
  });

  it('does not save by itself while the tenant state closes writes, and reports a refused save', async () => {
    vi.useFakeTimers();
    const scope = effectScope();
    const page = shallowRef<WorkingPage | null>(working('A'));
    let closed = true;
    const failures: unknown[] = [];
    const saver = scope.run(() =>
      usePageSaver(() => PAGE_ID, page, () => 'oops', { idleMs: 2000, writesClosed: () => closed, onFailure: (e) => failures.push(e) }),
    )!;
    saver.adopt(view(1), working('A'));
    page.value = working('B');
    await nextTick();
    await vi.advanceTimersByTimeAsync(2500);
    await flushPromises();
    expect(requests).toHaveLength(0);
    // The edit is kept in this browser meanwhile.
    expect(readDraft(PAGE_ID)?.page).toEqual(working('B'));

    // Open again as far as the console knew, but the server refuses (frozen since).
    closed = false;
    answer = () => json(403, { code: 'tenant_frozen', message: 'frozen' });
    expect(await saver.save()).toBe(false);
    expect(failures).toHaveLength(1);
    expect((failures[0] as { code: string }).code).toBe('tenant_frozen');
    scope.stop();
  });
});

describe('the preview', () => {
  it('renders after a short pause, once for a burst of edits, and keeps the last good rendering on a 422', async () => {
    vi.useFakeTimers();
    const scope = effectScope();
    const page = shallowRef<WorkingPage | null>(working('A'));
    const preview = scope.run(() => useRenderPreview(page, () => 'oops'))!;
    answer = (req) => json(200, { title: '首页', components: [{ id: 't', type: 'text', text: new URL(req.url).pathname }] });
    page.value = working('B');
    await nextTick();
    page.value = working('BC');
    await nextTick();
    await vi.advanceTimersByTimeAsync(RENDER_DEBOUNCE_MS + 10);
    await flushPromises();
    expect(requests).toHaveLength(1);
    expect(new URL(requests[0]!.url).pathname).toBe('/api/v1/pages/render');
    expect(((await requests[0]!.json()) as { layout: unknown }).layout).toEqual(working('BC').layout);
    expect(preview.blocks.value.get('t')?.text).toBe('/api/v1/pages/render');

    answer = () =>
      json(422, { code: 'validation_failed', message: 'bad', details: { errors: [{ pointer: '/components/0/props/text', component_id: 't', reason: { 'zh-CN': '必填', en: 'required' } }] } });
    page.value = working('');
    await nextTick();
    await vi.advanceTimersByTimeAsync(RENDER_DEBOUNCE_MS + 10);
    await flushPromises();
    expect(preview.faults.value.map((f) => f.pointer)).toEqual(['/components/0/props/text']);
    expect(preview.rendered.value?.components[0]?.id).toBe('t');
    scope.stop();
  });
});
