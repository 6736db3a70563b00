/** Words for the lifecycle screen: planned actions, weekdays, where a calendar year comes from. */
import { useI18n } from 'vue-i18n';

export type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger';

export function useLifecycleLabels() {
  const { t } = useI18n();

  function actionLabel(action: string): string {
    switch (action) {
      case 'reminder':
        return t('lifecycle.actions.reminder');
      case 'overdue_hold':
        return t('lifecycle.actions.overdue_hold');
      case 'freeze':
        return t('lifecycle.actions.freeze');
      case 'purge':
        return t('lifecycle.actions.purge');
      case 'deletion_unscheduled':
        return t('lifecycle.actions.deletion_unscheduled');
      default:
        return action;
    }
  }

  function actionTagType(action: string): TagType {
    switch (action) {
      case 'reminder':
        return 'info';
      case 'overdue_hold':
      case 'deletion_unscheduled':
        return 'warning';
      case 'freeze':
      case 'purge':
        return 'danger';
      default:
        return 'primary';
    }
  }

  const weekdays = (): string[] => [
    t('lifecycle.weekdays.mon'),
    t('lifecycle.weekdays.tue'),
    t('lifecycle.weekdays.wed'),
    t('lifecycle.weekdays.thu'),
    t('lifecycle.weekdays.fri'),
    t('lifecycle.weekdays.sat'),
    t('lifecycle.weekdays.sun'),
  ];

  function sourceLabel(source: string): string {
    switch (source) {
      case 'embedded':
        return t('lifecycle.source.embedded');
      case 'database':
        return t('lifecycle.source.database');
      case 'file':
        return t('lifecycle.source.file');
      default:
        return source;
    }
  }

  return { actionLabel, actionTagType, weekdays, sourceLabel };
}
