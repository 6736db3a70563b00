/**
 * The form pattern's error half: a 422 `validation_failed` answer names a field
 * (`details.field` as `contract.milestones`, `contract.milestones[1].amount_fen`,
 * `terms.client_rps`, or a JSON pointer `/contract/milestones/1`); the field with that
 * path shows the server's localized message (a 409 that names a field, such as a taken
 * username, likewise). Anything else is a form-level message.
 */
import { inject, provide, reactive, ref, type InjectionKey, type Ref } from 'vue';
import { ApiProblem } from '@/api/problem';

/** `a.b[0].c`, `a.b.0.c`, `/a/b/0/c`, `a/b/0/c` (the settings' pointers) → `a.b.0.c`. */
export function normalizeFieldPath(field: string): string {
  let path = field.trim();
  if (!path.startsWith('/') && /^[\w-]+\//.test(path) && !path.includes('.')) path = `/${path}`;
  if (path.startsWith('/')) {
    path = path
      .slice(1)
      .split('/')
      .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
      .join('.');
  }
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/\["([^"]*)"\]|\['([^']*)'\]/g, (_m, a: string | undefined, b: string | undefined) => `.${a ?? b ?? ''}`)
    .replace(/^\./, '')
    .replace(/\.{2,}/g, '.');
}

/** Whether `path` is `prefix` itself or lies inside it (`contract` contains `contract.milestones.0`). */
export function isWithin(path: string, prefix: string): boolean {
  const p = normalizeFieldPath(path);
  const q = normalizeFieldPath(prefix);
  return p === q || p.startsWith(`${q}.`);
}

/**
 * The server's message as shown *at the field it names*: its `字段 X 无效：` / `Field X is
 * invalid: ` lead-in repeats the field's internal name beside the field's own label, so
 * only the reason after it is shown there. Other messages are shown as they come.
 */
export function messageAtField(message: string, field: string): string {
  const leads = [`字段 ${field} 无效：`, `Field ${field} is invalid: `];
  for (const lead of leads) {
    if (message.startsWith(lead) && message.length > lead.length) {
      const reason = message.slice(lead.length);
      return reason.charAt(0).toUpperCase() + reason.slice(1);
    }
  }
  return message;
}

export interface ServerErrors {
  /** Messages by normalized field path. */
  readonly fields: Record<string, string>;
  /** A message not tied to a field. */
  readonly formError: Ref<string | null>;
  /** The error for exactly this field. */
  errorFor(path: string): string | undefined;
  /** The first error for this field or anything inside it. */
  errorWithin(path: string): string | undefined;
  /** Paths that carry an error. */
  markedPaths(): string[];
  /** Takes an error thrown by a call: returns the marked field path, or null when the error went to `formError`. */
  apply(error: unknown, fallbackMessage: string): string | null;
  clear(): void;
  clearField(path: string): void;
}

export function createServerErrors(): ServerErrors {
  const fields = reactive<Record<string, string>>({});
  const formError = ref<string | null>(null);

  function clear(): void {
    for (const key of Object.keys(fields)) delete fields[key];
    formError.value = null;
  }

  return {
    fields,
    formError,
    errorFor(path) {
      return fields[normalizeFieldPath(path)];
    },
    errorWithin(path) {
      const key = Object.keys(fields).find((k) => isWithin(k, path));
      return key === undefined ? undefined : fields[key];
    },
    markedPaths() {
      return Object.keys(fields);
    },
    apply(error, fallbackMessage) {
      clear();
      if (error instanceof ApiProblem) {
        const field = error.field;
        if ((error.status === 422 || error.status === 409) && field) {
          const path = normalizeFieldPath(field);
          fields[path] = messageAtField(error.message, field);
          return path;
        }
        formError.value = error.message;
        return null;
      }
      formError.value = fallbackMessage;
      return null;
    },
    clear,
    clearField(path) {
      const norm = normalizeFieldPath(path);
      for (const key of Object.keys(fields)) {
        if (isWithin(key, norm)) delete fields[key];
      }
    },
  };
}

const KEY: InjectionKey<ServerErrors> = Symbol('server-errors');

/** A form provides its errors to the `FieldItem`s inside it. */
export function provideServerErrors(errors: ServerErrors): void {
  provide(KEY, errors);
}

export function injectServerErrors(): ServerErrors | null {
  return inject(KEY, null);
}
