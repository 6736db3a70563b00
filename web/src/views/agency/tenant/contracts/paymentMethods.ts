/** Payment methods as the API names them, and in words. */
import { useI18n } from 'vue-i18n';
import type { Schemas } from '@/api';

export const PAYMENT_METHODS: readonly Schemas['PaymentMethod'][] = ['bank_transfer', 'cash', 'cheque', 'other'];

export function isPaymentMethod(v: string): v is Schemas['PaymentMethod'] {
  return (PAYMENT_METHODS as readonly string[]).includes(v);
}

export function usePaymentMethodLabel(): (method: string) => string {
  const { t } = useI18n();
  return (method) => {
    switch (method) {
      case 'bank_transfer':
        return t('payment.bank_transfer');
      case 'cash':
        return t('payment.cash');
      case 'cheque':
        return t('payment.cheque');
      case 'other':
        return t('payment.other');
      default:
        return method;
    }
  };
}
