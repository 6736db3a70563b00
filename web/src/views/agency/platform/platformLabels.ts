/**
 * Words for the codes the WeChat and job endpoints answer with (deploy run statuses and
 * steps, roll-out states, bindings, SMS template uses). A code the console does not know
 * yet is shown as it is, so a new server value is never hidden.
 */
import { useI18n } from 'vue-i18n';

/** Deploy run statuses that are over (src/services/wechat/deploy.rs `status`). */
export const FINISHED_RUN_STATUSES: readonly string[] = ['released', 'failed', 'withdrawn'];

/** Notice kinds that have an SMS form, and the parameters it fills, in order (src/domain/notice.rs `sms_params`). */
export const NOTICE_SMS_PARAMS: Readonly<Record<string, readonly string[]>> = {
  renewal_reminder: ['business_name', 'end_date', 'days_left'],
  frozen: ['business_name', 'delete_date'],
  deletion_scheduled: ['business_name', 'delete_date'],
  reopened: ['business_name'],
  overdue_hold_set: ['business_name'],
};
export const SMS_USES: readonly string[] = ['merchant', ...Object.keys(NOTICE_SMS_PARAMS)];

export function usePlatformLabels() {
  const { t } = useI18n();

  function runStatus(status: string): string {
    switch (status) {
      case 'running':
        return t('platform.runStatus.running');
      case 'waiting_audit':
        return t('platform.runStatus.waiting_audit');
      case 'awaiting_release':
        return t('platform.runStatus.awaiting_release');
      case 'gray':
        return t('platform.runStatus.gray');
      case 'released':
        return t('platform.runStatus.released');
      case 'failed':
        return t('platform.runStatus.failed');
      case 'withdrawn':
        return t('platform.runStatus.withdrawn');
      case 'paused':
        return t('platform.runStatus.paused');
      default:
        return status;
    }
  }

  function runStep(step: string): string {
    switch (step) {
      case 'domains':
        return t('platform.runStep.domains');
      case 'commit':
        return t('platform.runStep.commit');
      case 'privacy_scan':
        return t('platform.runStep.privacy_scan');
      case 'qrcode':
        return t('platform.runStep.qrcode');
      case 'quota':
        return t('platform.runStep.quota');
      case 'submit_audit':
        return t('platform.runStep.submit_audit');
      case 'audit':
        return t('platform.runStep.audit');
      case 'release':
        return t('platform.runStep.release');
      default:
        return step;
    }
  }

  function rolloutStatus(status: string): string {
    switch (status) {
      case 'running':
        return t('platform.rollouts.statusRunning');
      case 'paused':
        return t('platform.rollouts.statusPaused');
      case 'done':
        return t('platform.rollouts.statusDone');
      default:
        return status;
    }
  }

  /** A failure key of a roll-out: `errcode 85009`, `audit_rejected` or a skipped target's error code. */
  function failure(key: string): string {
    const errcode = /^errcode (-?\d+)$/.exec(key);
    if (errcode) return t('platform.failures.errcode', { errcode: errcode[1] });
    switch (key) {
      case 'audit_rejected':
        return t('platform.failures.audit_rejected');
      case 'wechat_not_bound':
        return t('platform.failures.wechat_not_bound');
      case 'wechat_permission_missing':
        return t('platform.failures.wechat_permission_missing');
      case 'deploy_in_progress':
        return t('platform.failures.deploy_in_progress');
      default:
        return key;
    }
  }

  function binding(status: string): string {
    switch (status) {
      case 'bound':
        return t('platform.status.bound');
      case 'revoked':
        return t('platform.status.revoked');
      default:
        return t('platform.status.unbound');
    }
  }

  function smsUse(usage: string): string {
    switch (usage) {
      case 'merchant':
        return t('platform.sms.useMerchant');
      case 'renewal_reminder':
        return t('platform.sms.useRenewalReminder');
      case 'frozen':
        return t('platform.sms.useFrozen');
      case 'deletion_scheduled':
        return t('platform.sms.useDeletionScheduled');
      case 'reopened':
        return t('platform.sms.useReopened');
      case 'overdue_hold_set':
        return t('platform.sms.useOverdueHoldSet');
      default:
        return usage;
    }
  }

  /** A background job's kind (the `*_JOB` constants of the server's handlers). */
  function jobKind(kind: string): string {
    switch (kind) {
      case 'tenant.state_changed':
        return t('platform.jobKind.stateChanged');
      case 'client.rerender_all':
        return t('platform.jobKind.rerender');
      case 'sms.send':
        return t('platform.jobKind.smsSend');
      case 'notification.deliver':
        return t('platform.jobKind.notification');
      case 'tenant.export':
        return t('platform.jobKind.export');
      case 'tenant.purge':
        return t('platform.jobKind.purge');
      case 'wechat.rollout':
        return t('platform.jobKind.rollout');
      case 'wechat.deploy':
        return t('platform.jobKind.deploy');
      case 'wechat.visit_status':
        return t('platform.jobKind.visitStatus');
      case 'wechat.authorized':
        return t('platform.jobKind.authorized');
      default:
        return kind;
    }
  }

  return { runStatus, runStep, rolloutStatus, failure, binding, smsUse, jobKind };
}
