/**
 * An API error as the console shows it: the server's stable `code`, its already localized
 * `message` (we send `Accept-Language`), and, for a 422, the field it names.
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** Seconds from `Retry-After`, when the server sent it. */
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: unknown;
    retryAfter?: number | null;
  }) {
    super(init.message);
    this.name = 'ApiProblem';
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.retryAfter = init.retryAfter ?? null;
  }

  /** The field a `validation_failed` answer names (`details.field` or `details.pointer`). */
  get field(): string | null {
    const d = this.details;
    if (d && typeof d === 'object') {
      const rec = d as Record<string, unknown>;
      if (typeof rec.field === 'string' && rec.field) return rec.field;
      if (typeof rec.pointer === 'string' && rec.pointer) return rec.pointer;
    }
    return null;
  }
}

/** `Retry-After` as seconds (delta form, or an HTTP date). */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function isErrorBody(v: unknown): v is { code: string; message: string; details?: unknown } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { code?: unknown }).code === 'string' &&
    typeof (v as { message?: unknown }).message === 'string'
  );
}

/** Builds the problem for a failed response whose body openapi-fetch already parsed. */
export function problemFrom(response: Response, body: unknown, fallbackMessage: string): ApiProblem {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  if (isErrorBody(body)) {
    return new ApiProblem({
      status: response.status,
      code: body.code,
      message: body.message,
      details: body.details,
      retryAfter,
    });
  }
  return new ApiProblem({
    status: response.status,
    code: `http_${response.status}`,
    message: fallbackMessage,
    retryAfter,
  });
}
