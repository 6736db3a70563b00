/** Words for the audit log: action families, actors' roles, common field names and values. */
import { useI18n } from 'vue-i18n';
import { formatFen } from '@/utils/format';
import { formatBytes } from '../plans/planTerms';
import { formatValue } from './auditDiff';

export function useAuditLabels() {
  const { t } = useI18n();

  function familyLabel(family: string): string {
    switch (family) {
      case 'tenant.':
        return t('audit.family.tenant');
      case 'contract.':
        return t('audit.family.contract');
      case 'payment.':
        return t('audit.family.payment');
      case 'plan.':
        return t('audit.family.plan');
      case 'staff.':
        return t('audit.family.staff');
      case 'calendar.':
        return t('audit.family.calendar');
      case 'lifecycle.':
        return t('audit.family.lifecycle');
      case 'page.':
        return t('audit.family.page');
      case 'settings.':
        return t('audit.family.settings');
      case 'asset.':
        return t('audit.family.asset');
      case 'deploy.':
        return t('audit.family.deploy');
      case 'wechat.':
        return t('audit.family.wechat');
      case 'sms.':
        return t('audit.family.sms');
      case 'editor.':
        return t('audit.family.editor');
      case 'account.':
        return t('audit.family.account');
      default:
        return family.replace(/\.$/, '');
    }
  }

  /** `plan.version_created` → the family's words ("Plans"). */
  function actionFamily(action: string): string {
    const dot = action.indexOf('.');
    return dot > 0 ? familyLabel(action.slice(0, dot + 1)) : action;
  }

  /** A known action in words; null for one this console has no words for (its family is shown). */
  function actionLabel(action: string): string | null {
    switch (action) {
      case 'tenant.provisioned':
        return t('audit.actions.tenant_provisioned');
      case 'tenant.status_changed':
        return t('audit.actions.tenant_status_changed');
      case 'tenant.hold_set':
        return t('audit.actions.tenant_hold_set');
      case 'tenant.hold_lifted':
        return t('audit.actions.tenant_hold_lifted');
      case 'tenant.renewed':
        return t('audit.actions.tenant_renewed');
      case 'tenant.renewal_reminded':
        return t('audit.actions.tenant_renewal_reminded');
      case 'tenant.contact_changed':
        return t('audit.actions.tenant_contact_changed');
      case 'tenant.account_manager_changed':
        return t('audit.actions.tenant_account_manager_changed');
      case 'tenant.appid_set':
        return t('audit.actions.tenant_appid_set');
      case 'tenant.export_requested':
        return t('audit.actions.tenant_export_requested');
      case 'tenant.deletion_scheduled':
        return t('audit.actions.tenant_deletion_scheduled');
      case 'tenant.deletion_rescheduled':
        return t('audit.actions.tenant_deletion_rescheduled');
      case 'tenant.purged':
        return t('audit.actions.tenant_purged');
      case 'contract.created':
        return t('audit.actions.contract_created');
      case 'contract.activated':
        return t('audit.actions.contract_activated');
      case 'contract.terminated':
        return t('audit.actions.contract_terminated');
      case 'payment.recorded':
        return t('audit.actions.payment_recorded');
      case 'plan.created':
        return t('audit.actions.plan_created');
      case 'plan.version_created':
        return t('audit.actions.plan_version_created');
      case 'plan.retired':
        return t('audit.actions.plan_retired');
      case 'plan.unretired':
        return t('audit.actions.plan_unretired');
      case 'plan.deleted':
        return t('audit.actions.plan_deleted');
      case 'staff.created':
        return t('audit.actions.staff_created');
      case 'staff.disabled':
        return t('audit.actions.staff_disabled');
      case 'staff.enabled':
        return t('audit.actions.staff_enabled');
      case 'staff.password_reset':
        return t('audit.actions.staff_password_reset');
      case 'account.password_changed':
        return t('audit.actions.account_password_changed');
      case 'calendar.year_added':
        return t('audit.actions.calendar_year_added');
      case 'calendar.year_corrected':
        return t('audit.actions.calendar_year_corrected');
      case 'lifecycle.calendar_coverage_alert':
        return t('audit.actions.lifecycle_calendar_coverage_alert');
      default:
        return null;
    }
  }

  /** The action in words: its own name, else its family's. */
  function actionText(action: string): string {
    return actionLabel(action) ?? actionFamily(action);
  }

  function roleLabel(role: string): string {
    switch (role) {
      case 'agency_admin':
        return t('roles.agency_admin');
      case 'account_manager':
        return t('roles.account_manager');
      case 'merchant_admin':
        return t('roles.merchant_admin');
      case 'merchant_editor':
        return t('roles.merchant_editor');
      case 'system':
        return t('audit.systemRole');
      case 'operator':
        return t('audit.operatorRole');
      default:
        return role;
    }
  }

  /** A field's name in words when it is a common one (the path is shown beside it). */
  function fieldLabel(path: string): string | null {
    switch (path.split('.').at(-1)) {
      case 'name':
        return t('audit.fields.name');
      case 'apps':
        return t('plans.appsLabel');
      case 'page_quota':
        return t('plans.pageQuota');
      case 'storage_quota_bytes':
        return t('plans.storage');
      case 'client_rps':
        return t('plans.clientRps');
      case 'sms_segments_per_year':
        return t('plans.smsSegments');
      case 'sms_overage_millifen':
        return t('plans.smsOverage');
      case 'sms_overage_allowed':
        return t('plans.smsOverageAllowed');
      case 'yearly_price_fen':
        return t('plans.yearlyPrice');
      case 'status':
        return t('audit.fields.status');
      case 'role':
        return t('staff.role');
      case 'username':
        return t('staff.username');
      case 'holidays':
        return t('lifecycle.holidays');
      case 'workdays':
        return t('lifecycle.workdays');
      case 'version':
        return t('plans.version');
      case 'amount_fen':
        return t('audit.fields.amount');
      default:
        return null;
    }
  }

  /** A value in words: money in yuan, sizes in MB/GB, yes/no. */
  function valueText(path: string, value: unknown): string {
    if (typeof value === 'number' && path.endsWith('_fen')) return formatFen(value);
    if (typeof value === 'number' && path.endsWith('_bytes')) return formatBytes(value);
    return formatValue(value, t('audit.yes'), t('audit.no'));
  }

  return { familyLabel, actionFamily, actionText, roleLabel, fieldLabel, valueText };
}
