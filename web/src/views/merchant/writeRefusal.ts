/**
 * Whether the merchant may change anything now, read from the tenant view the way the
 * server decides it (`merchant_write_refusal`: deleted, frozen, pending, then holds), so
 * a write control is disabled with the reason before the server would answer 403
 * `tenant_frozen` / `tenant_pending` / `tenant_on_hold`. Reads and exports stay open.
 */
import type { Schemas } from '@/api';

export type WriteRefusal =
  | { kind: 'frozen'; deleteAfter: string | null }
  | { kind: 'pending' }
  | { kind: 'on_hold'; holds: string[] }
  | { kind: 'deleted' };

type TenantState = Pick<Schemas['TenantView'], 'status' | 'holds' | 'delete_after'>;

export function writeRefusal(tenant: TenantState | null | undefined): WriteRefusal | null {
  if (!tenant) return null;
  switch (tenant.status) {
    case 'deleted':
      return { kind: 'deleted' };
    case 'frozen':
      return { kind: 'frozen', deleteAfter: tenant.delete_after ?? null };
    case 'pending':
      return { kind: 'pending' };
    default:
      return tenant.holds.length ? { kind: 'on_hold', holds: tenant.holds.map((h) => h.kind) } : null;
  }
}

/** The server's refusal codes for a merchant write in the tenant's state. */
export const STATE_REFUSAL_CODES = new Set(['tenant_frozen', 'tenant_pending', 'tenant_on_hold']);
