import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import type { Role } from '@/api/client';
import { i18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in. */
    public?: boolean;
    /** Roles allowed (all signed-in roles when absent). */
    roles?: readonly Role[];
    /** The window title. */
    title?: () => string;
  }
}

const STAFF: readonly Role[] = ['agency_admin', 'account_manager'];
const MERCHANT: readonly Role[] = ['merchant_admin', 'merchant_editor'];

export const routes: RouteRecordRaw[] = [
  {
    path: '/signin',
    name: 'signin',
    component: () => import('@/views/auth/SignInView.vue'),
    meta: { public: true, title: () => i18n.global.t('signin.title') },
  },
  {
    path: '/setup',
    name: 'setup',
    component: () => import('@/views/auth/SetupView.vue'),
    meta: { public: true, title: () => i18n.global.t('setup.title') },
  },
  {
    path: '/password',
    name: 'password',
    component: () => import('@/views/auth/ChangePasswordView.vue'),
    meta: { title: () => i18n.global.t('password.title') },
  },
  {
    path: '/',
    component: () => import('@/components/AppShell.vue'),
    children: [
      // Each role lands on its first screen (the guard corrects a guess made before the
      // session was restored).
      { path: '', name: 'root', redirect: () => useSessionStore().homeRoute },
      {
        path: 'dashboard',
        name: 'dashboard',
        component: () => import('@/views/agency/DashboardView.vue'),
        meta: { roles: STAFF, title: () => i18n.global.t('nav.dashboard') },
      },
      {
        path: 'tenants',
        name: 'tenants',
        component: () => import('@/views/agency/TenantListView.vue'),
        meta: { roles: STAFF, title: () => i18n.global.t('nav.tenants') },
      },
      {
        path: 'tenants/new',
        name: 'provision',
        component: () => import('@/views/agency/ProvisionWizardView.vue'),
        meta: { roles: STAFF, title: () => i18n.global.t('provision.title') },
      },
      {
        path: 'tenants/:id',
        name: 'tenant',
        component: () => import('@/views/agency/tenant/TenantDetailView.vue'),
        meta: { roles: STAFF, title: () => i18n.global.t('nav.tenants') },
      },
      {
        path: 'plans',
        name: 'plans',
        component: () => import('@/views/agency/plans/PlansView.vue'),
        meta: { roles: STAFF, title: () => i18n.global.t('nav.plans') },
      },
      {
        path: 'lifecycle',
        name: 'lifecycle',
        component: () => import('@/views/agency/lifecycle/LifecycleView.vue'),
        meta: { roles: STAFF, title: () => i18n.global.t('nav.lifecycle') },
      },
      {
        path: 'audit',
        name: 'audit',
        component: () => import('@/views/agency/audit/AuditView.vue'),
        meta: { roles: STAFF, title: () => i18n.global.t('nav.audit') },
      },
      {
        path: 'staff',
        name: 'staff',
        component: () => import('@/views/agency/StaffView.vue'),
        meta: { roles: ['agency_admin'], title: () => i18n.global.t('nav.staff') },
      },
      {
        path: 'finance',
        name: 'finance',
        component: () => import('@/views/agency/finance/FinanceView.vue'),
        meta: { roles: STAFF, title: () => i18n.global.t('nav.finance') },
      },
      {
        path: 'branding',
        name: 'branding',
        component: () => import('@/views/agency/branding/BrandingView.vue'),
        meta: { roles: ['agency_admin'], title: () => i18n.global.t('nav.branding') },
      },
      {
        path: 'platform',
        name: 'platform',
        component: () => import('@/views/agency/platform/PlatformView.vue'),
        meta: { roles: ['agency_admin'], title: () => i18n.global.t('nav.platform') },
      },
      {
        path: 'inbox',
        name: 'inbox',
        component: () => import('@/views/common/InboxView.vue'),
        meta: { title: () => i18n.global.t('nav.inbox') },
      },
      {
        path: 'home',
        name: 'home',
        component: () => import('@/views/tenant/HomeView.vue'),
        meta: { roles: MERCHANT, title: () => i18n.global.t('nav.home') },
      },
      {
        path: 'pages',
        name: 'pages',
        component: () => import('@/views/pages/PagesView.vue'),
        meta: { roles: MERCHANT, title: () => i18n.global.t('nav.pages') },
      },
      {
        path: 'settings',
        name: 'settings',
        component: () => import('@/views/settings/SettingsView.vue'),
        meta: { roles: MERCHANT, title: () => i18n.global.t('nav.settings') },
      },
      {
        path: 'assets',
        name: 'assets',
        component: () => import('@/views/merchant/assets/AssetsView.vue'),
        meta: { roles: MERCHANT, title: () => i18n.global.t('nav.assets') },
      },
      {
        // WeChat's authorization page sends the browser back here (through the service's
        // /wechat/authorized) with the outcome in the query.
        path: 'miniprogram',
        name: 'miniprogram',
        component: () => import('@/views/merchant/miniprogram/MiniProgramView.vue'),
        meta: { roles: MERCHANT, title: () => i18n.global.t('nav.miniProgram') },
      },
      {
        path: 'sms',
        name: 'sms',
        component: () => import('@/views/merchant/sms/SmsView.vue'),
        meta: { roles: ['merchant_admin'], title: () => i18n.global.t('nav.sms') },
      },
      {
        path: 'editors',
        name: 'editors',
        component: () => import('@/views/merchant/editors/EditorsView.vue'),
        meta: { roles: ['merchant_admin'], title: () => i18n.global.t('nav.editors') },
      },
      {
        path: 'export',
        name: 'export',
        component: () => import('@/views/merchant/export/ExportView.vue'),
        meta: { roles: ['merchant_admin'], title: () => i18n.global.t('nav.export') },
      },
      {
        // Lazy: the builder (forms, preview, drag and drop) never weighs on sign-in.
        path: 'pages/:id/edit',
        name: 'builder',
        component: () => import('@/views/builder/BuilderView.vue'),
        meta: { roles: MERCHANT, title: () => i18n.global.t('nav.builder') },
      },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/common/NotFoundView.vue'),
        meta: { title: () => i18n.global.t('notFound.title') },
      },
    ],
  },
];

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach(async (to) => {
  const session = useSessionStore();
  await session.restore();
  if (to.meta.public) {
    if (to.name === 'signin' && session.signedIn && !session.mustChangePassword) {
      return session.homeRoute;
    }
    return true;
  }
  if (!session.signedIn) {
    return { name: 'signin', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } };
  }
  if (session.mustChangePassword && to.name !== 'password') return { name: 'password' };
  const roles = to.meta.roles;
  if (roles && (!session.role || !roles.includes(session.role))) return session.homeRoute;
  return true;
});

router.afterEach((to) => {
  const title = to.meta.title?.();
  const product = i18n.global.t('app.name');
  document.title = title ? `${title} · ${product}` : product;
});
