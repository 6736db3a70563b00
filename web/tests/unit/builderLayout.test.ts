import { describe, expect, it } from 'vitest';
import { createHistory } from '@/views/builder/history';
import { pageState } from '@/views/pages/pageState';
import { duplicate, findComponent, insert, locatePointer, moveTo, newId, remove, setAt, setProp, shift, walk, type Layout } from '@/views/builder/layout';

function layout(): Layout {
  return {
    components: [
      { id: 'a', type: 'text', props: { text: 'A' } },
      { id: 'box', type: 'container', props: {}, children: [{ id: 'b', type: 'text', props: { text: 'B' } }] },
      { id: 'c', type: 'carousel', props: { slides: [{ asset_id: 'x' }] } },
    ],
  };
}
const ids = (l: Layout) => walk(l.components).map((c) => c.id);

describe('layout edits', () => {
  it('inserts, removes, shifts and moves into and out of containers without touching the original', () => {
    const start = layout();
    expect(ids(insert(start, { id: 'n', type: 'spacer', props: {} }, 'box', 0))).toEqual(['a', 'box', 'n', 'b', 'c']);
    expect(ids(remove(start, 'b'))).toEqual(['a', 'box', 'c']);
    expect(ids(shift(start, 'c', -1))).toEqual(['a', 'c', 'box', 'b']);
    expect(ids(shift(start, 'a', -1))).toEqual(ids(start));
    expect(ids(moveTo(start, 'a', 'box', 1))).toEqual(['box', 'b', 'a', 'c']);
    expect(ids(moveTo(start, 'b', null, 0))).toEqual(['b', 'a', 'box', 'c']);
    // Never into itself.
    expect(ids(moveTo(start, 'box', 'box', 0))).toEqual(ids(start));
    expect(ids(start)).toEqual(['a', 'box', 'b', 'c']);
  });

  it('duplicates with fresh ids for the copy and everything inside it', () => {
    const { layout: next, copyId } = duplicate(layout(), 'box');
    expect(copyId).toBe('container-1');
    expect(ids(next)).toEqual(['a', 'box', 'b', 'container-1', 'text-1', 'c']);
    expect(new Set(ids(next)).size).toBe(ids(next).length);
    expect(newId(next, 'text')).toBe('text-2');
  });

  it('sets nested props and removes a key set to undefined', () => {
    const next = setProp(layout(), 'c', ['slides', 0, 'caption'], 'Hi');
    expect(findComponent(next, 'c')!.props).toEqual({ slides: [{ asset_id: 'x', caption: 'Hi' }] });
    expect(setAt({ a: 1, b: 2 }, ['a'], undefined)).toEqual({ b: 2 });
    expect(setAt({}, ['list', 0, 'name'], 'x')).toEqual({ list: [{ name: 'x' }] });
  });

  it('locates a server pointer: the component (nested too) and the property path', () => {
    expect(locatePointer(layout(), '/components/2/props/slides/0/asset_id')).toEqual({ componentId: 'c', propPath: ['slides', '0', 'asset_id'] });
    expect(locatePointer(layout(), '/components/1/children/0/props/text')).toEqual({ componentId: 'b', propPath: ['text'] });
    expect(locatePointer(layout(), '/components/0/type')).toEqual({ componentId: 'a', propPath: [] });
  });
});

describe('undo history', () => {
  it('keeps at least 50 steps, coalesces typing in one field, and redo is cleared by a new edit', () => {
    let now = 0;
    const h = createHistory(0, { limit: 100, now: () => now });
    for (let i = 1; i <= 60; i++) {
      now += 5000;
      h.record(i);
    }
    let undone = 0;
    while (h.undo() !== null) undone++;
    expect(undone).toBe(60);
    expect(h.redo()).toBe(1);

    const typing = createHistory('', { now: () => now });
    for (const text of ['H', 'He', 'Hel']) {
      now += 100;
      typing.record(text, 'prop:a:text');
    }
    expect(typing.undo()).toBe('');
    expect(typing.redo()).toBe('Hel');
    typing.undo();
    typing.record('X');
    expect(typing.canRedo()).toBe(false);
  });
});


describe('page state in the list', () => {
  const base = { is_published: true, taken_down: false, published_version: 2, updated_at: '2026-12-07T10:00:00Z' };
  it('tells draft, published, changed since publish, unpublished and taken down apart', () => {
    expect(pageState({ ...base, is_published: false, published_version: null }, null)).toBe('draft');
    expect(pageState(base, '2026-12-07T10:00:00Z')).toBe('published');
    expect(pageState(base, '2026-12-07T09:00:00Z')).toBe('changed');
    expect(pageState({ ...base, is_published: false }, null)).toBe('unpublished');
    expect(pageState({ ...base, taken_down: true }, '2026-12-07T10:00:00Z')).toBe('taken_down');
  });
});
