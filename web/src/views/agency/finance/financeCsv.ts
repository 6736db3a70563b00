/**
 * Downloads the payments CSV: the route needs the bearer token, which a plain link cannot
 * send, so it is fetched through the session's client (refresh included) as a Blob and
 * saved from an object URL.
 */
import { api, call } from '@/api';
import { csvFileName, type MonthRange } from './financeRange';

export async function downloadPaymentsCsv(range: MonthRange): Promise<void> {
  const blob = (await call(
    api.GET('/api/v1/finance/payments.csv', { params: { query: { from: range.from, to: range.to } }, parseAs: 'blob' }),
  )) as unknown as Blob;
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = csvFileName(range);
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // Give the browser the moment it needs to start the download before the URL goes.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}
