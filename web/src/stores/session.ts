/**
 * Who is signed in, mirrored from the API client (the token itself stays inside the
 * client). `ready` turns true once the start-up refresh has answered.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { auth } from '@/api';
import type { Account, Role, SessionChange } from '@/api/client';

export type Area =
  | 'dashboard'
  | 'tenants'
  | 'plans'
  | 'lifecycle'
  | 'audit'
  | 'staff'
  | 'inbox'
  | 'home'
  | 'pages'
  | 'settings'
  | 'assets'
  | 'editors'
  | 'export'
  | 'miniprogram'
  | 'sms'
  | 'platform'
  | 'finance'
  | 'branding';

/** The side navigation per role (CONSOLE.md; other areas come later). */
export const AREAS_BY_ROLE: Readonly<Record<Role, readonly Area[]>> = {
  agency_admin: ['dashboard', 'tenants', 'plans', 'finance', 'lifecycle', 'audit', 'staff', 'platform', 'branding', 'inbox'],
  account_manager: ['dashboard', 'tenants', 'plans', 'finance', 'lifecycle', 'audit', 'inbox'],
  merchant_admin: ['home', 'pages', 'settings', 'assets', 'miniprogram', 'sms', 'editors', 'export', 'inbox'],
  merchant_editor: ['home', 'pages', 'settings', 'assets', 'miniprogram', 'inbox'],
};

export function isStaff(role: Role | null | undefined): boolean {
  return role === 'agency_admin' || role === 'account_manager';
}

export const useSessionStore = defineStore('session', () => {
  const account = shallowRef<Account | null>(auth.session?.account ?? null);
  const mustChangePassword = ref(auth.session?.mustChangePassword ?? false);
  const ready = ref(false);
  /** Set when the server ended the session (not when the user signed out). */
  const endedByServer = ref(false);
  let restoring: Promise<void> | null = null;

  auth.onChange((session, change: SessionChange) => {
    account.value = session?.account ?? null;
    mustChangePassword.value = session?.mustChangePassword ?? false;
    if (change === 'expired') endedByServer.value = true;
    if (change === 'signed-in') endedByServer.value = false;
  });

  const role = computed<Role | null>(() => account.value?.role ?? null);
  const signedIn = computed(() => account.value !== null);
  const areas = computed<readonly Area[]>(() => (role.value ? AREAS_BY_ROLE[role.value] : []));
  const homeRoute = computed(() => (isStaff(role.value) ? '/dashboard' : '/home'));

  /** Runs the start-up refresh once (a reload keeps you signed in). */
  function restore(): Promise<void> {
    if (!restoring) {
      restoring = auth.restore().then(() => {
        ready.value = true;
        endedByServer.value = false;
      });
    }
    return restoring;
  }

  return { account, mustChangePassword, ready, endedByServer, role, signedIn, areas, homeRoute, restore };
});
