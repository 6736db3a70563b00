/**
 * WeChat's template library as `GET /platform/templates` passes it on (`gettemplatelist`
 * verbatim, so untyped): the fields the console shows, read defensively.
 */
export interface LibraryTemplate {
  template_id: number;
  user_version: string;
  user_desc: string;
  /** Unix seconds, as WeChat gives it. */
  create_time: number | null;
}

export function readLibrary(library: readonly unknown[]): LibraryTemplate[] {
  const out: LibraryTemplate[] = [];
  for (const entry of library) {
    if (!entry || typeof entry !== 'object') continue;
    const e = entry as Record<string, unknown>;
    const id = typeof e.template_id === 'number' ? e.template_id : Number(e.template_id);
    if (!Number.isSafeInteger(id)) continue;
    out.push({
      template_id: id,
      user_version: typeof e.user_version === 'string' ? e.user_version : '',
      user_desc: typeof e.user_desc === 'string' ? e.user_desc : '',
      create_time: typeof e.create_time === 'number' ? e.create_time : null,
    });
  }
  // Newest first: the one to roll out is usually at the top.
  return out.sort((a, b) => (b.create_time ?? 0) - (a.create_time ?? 0) || b.template_id - a.template_id);
}
