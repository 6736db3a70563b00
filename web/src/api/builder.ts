/**
 * The builder's calls: rendering an unsaved layout, the publish check, the faults of a
 * refused layout (`details.errors`, which the error body leaves untyped), and uploads
 * with progress.
 */
import { api, auth, call, ApiProblem, type Schemas } from '@/api';
import { problemFrom } from '@/api/problem';
import { currentLanguage, i18n } from '@/i18n';
import type { RenderedPage } from '@/preview/types';

/** One fault of a refused layout (an entry of a 422's `details.errors`). */
export interface LayoutFault {
  pointer: string;
  component_id: string | null;
  reason: Schemas['Reason'];
}

export type PublishCheck = Schemas['PublishCheck'];
export type Problem = Schemas['Problem'];

/** The page JSON the client API would serve for an unsaved page (nothing is stored). */
export async function renderLayout(body: { slug: string; title: string; navigation_bar?: Record<string, unknown>; layout: unknown }, signal?: AbortSignal): Promise<RenderedPage> {
  const page = await call(
    api.POST('/api/v1/pages/render', {
      body: { ...body, navigation_bar: body.navigation_bar as Schemas['NavigationBar'] | undefined, layout: body.layout as Schemas['Layout'] },
      signal,
      // The 200 has no declared schema (it is the client API's page JSON): read it as JSON.
      parseAs: 'json',
    }),
  );
  return page as unknown as RenderedPage;
}

/**
 * A published version as phones show it, drawn for the console: its stored layout rendered
 * by POST /pages/render, whose image URLs are relative and load before the tenant has an
 * appid (GET /pages/{id}/preview answers the client API's absolute URLs).
 */
export async function renderVersion(pageId: string, slug: string, version: number): Promise<RenderedPage> {
  const v = await call(api.GET('/api/v1/pages/{page_id}/versions/{version}', { params: { path: { page_id: pageId, version } } }));
  return renderLayout({ slug, title: v.title, navigation_bar: v.navigation_bar as Record<string, unknown>, layout: v.layout ?? { components: [] } });
}

export function publishCheck(pageId: string): Promise<PublishCheck> {
  return call(api.GET('/api/v1/pages/{page_id}/publish-check', { params: { path: { page_id: pageId } } }));
}

/** Every fault of a 422 (`details.errors`), or the single one it names. */
export function layoutFaults(error: unknown): LayoutFault[] {
  if (!(error instanceof ApiProblem) || error.status !== 422) return [];
  const details = (error.details ?? {}) as { errors?: unknown; pointer?: unknown; component_id?: unknown };
  if (Array.isArray(details.errors)) {
    return details.errors
      .filter((e): e is LayoutFault => !!e && typeof e === 'object' && typeof (e as LayoutFault).pointer === 'string')
      .map((e) => ({ pointer: e.pointer, component_id: e.component_id ?? null, reason: { 'zh-CN': e.reason?.['zh-CN'] ?? error.message, en: e.reason?.en ?? error.message } }));
  }
  if (typeof details.pointer === 'string') {
    const message = error.message;
    return [{ pointer: details.pointer, component_id: typeof details.component_id === 'string' ? details.component_id : null, reason: { 'zh-CN': message, en: message } }];
  }
  return [];
}

/**
 * Uploads one file to the asset library with progress (XHR: fetch has no upload
 * progress). A `token_expired` answer refreshes the session and retries once.
 */
export function uploadAsset(file: File, onProgress: (percent: number) => void): Promise<{ id: string; kind: string }> {
  const attempt = (token: string | null): Promise<{ status: number; body: unknown; headers: Headers }> =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/v1/assets');
      if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
      xhr.setRequestHeader('Accept-Language', currentLanguage());
      xhr.setRequestHeader('X-Weapp-Client', 'console');
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100));
      };
      xhr.onload = () => {
        let body: unknown = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = null;
        }
        const headers = new Headers();
        const retry = xhr.getResponseHeader('Retry-After');
        if (retry) headers.set('Retry-After', retry);
        resolve({ status: xhr.status, body, headers });
      };
      xhr.onerror = () => reject(new ApiProblem({ status: 0, code: 'network_error', message: i18n.global.t('errors.network') }));
      const form = new FormData();
      form.append('file', file);
      xhr.send(form);
    });
  return (async () => {
    let answer = await attempt(auth.bearer());
    if (answer.status === 401 && (answer.body as { code?: string } | null)?.code === 'token_expired') {
      const session = await auth.refresh();
      answer = await attempt(session?.accessToken ?? null);
    }
    if (answer.status >= 200 && answer.status < 300) {
      onProgress(100);
      return answer.body as { id: string; kind: string };
    }
    throw problemFrom(new Response(null, { status: answer.status, headers: answer.headers }), answer.body, i18n.global.t('errors.unexpected'));
  })();
}

/** A QR code that opens the page's saved draft on a phone (the trial version), and until when. */
export interface PreviewQrCode {
  image: Blob;
  /** `X-Preview-Expires-At` (RFC 3339), null when the server did not say. */
  expiresAt: string | null;
}

/**
 * POST /pages/{id}/preview-qrcode: the image bytes (a blob, through the session's client
 * so the bearer token and a refresh apply); a 409 (`wechat_not_bound`, no trial or released
 * version) or 503 (`wechat_not_configured`) throws an ApiProblem with the server's message.
 */
export async function previewQrCode(pageId: string): Promise<PreviewQrCode> {
  const pending = api.POST('/api/v1/pages/{page_id}/preview-qrcode', { params: { path: { page_id: pageId } }, parseAs: 'blob' });
  const image = await call(pending);
  const answer = await pending;
  return { image: image as unknown as Blob, expiresAt: answer.response.headers.get('X-Preview-Expires-At') };
}
