/** Words for a plan's feature modules, shared by the plan list and its form. */
import { useI18n } from 'vue-i18n';

export function usePlanLabels(): { appLabel(app: string): string; appsText(apps: readonly string[]): string } {
  const { t } = useI18n();
  function appLabel(app: string): string {
    switch (app) {
      case 'pages':
        return t('plans.apps.pages');
      case 'media':
        return t('plans.apps.media');
      case 'store':
        return t('plans.apps.store');
      case 'sms':
        return t('plans.apps.sms');
      default:
        return app;
    }
  }
  return { appLabel, appsText: (apps) => apps.map(appLabel).join(t('plans.listSeparator')) };
}
