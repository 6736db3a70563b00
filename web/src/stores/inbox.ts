/** The inbox bell's unread count, shared by the header and the inbox screen. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, call } from '@/api';

export const useInboxStore = defineStore('inbox', () => {
  const unread = ref<number | null>(null);

  async function refresh(): Promise<void> {
    try {
      const answer = await call(api.GET('/api/v1/inbox/unread-count'));
      unread.value = answer.unread;
    } catch {
      // the bell keeps its last count; the inbox screen shows errors
    }
  }

  function set(count: number): void {
    unread.value = count;
  }

  return { unread, refresh, set };
});
