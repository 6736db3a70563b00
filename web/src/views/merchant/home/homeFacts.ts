/**
 * The account manager as the home shows them (`TenantView.account_manager`): a name and
 * whichever of phone and e-mail were recorded; null when none is assigned.
 */
import type { Schemas } from '@/api';

export interface ManagerContact {
  name: string;
  phone: string | null;
  email: string | null;
}

export function accountManagerOf(tenant: Pick<Schemas['TenantView'], 'account_manager'> | null | undefined): ManagerContact | null {
  const am = tenant?.account_manager;
  if (!am) return null;
  return { name: am.display_name || '—', phone: am.phone || null, email: am.email || null };
}
