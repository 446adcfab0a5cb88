import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api, unwrap } from '@/api/client'
import { useSession } from '@/stores/session'

// The unread count in the header and on the desk.
export const useInbox = defineStore('inbox', () => {
  const unread = ref(0)
  async function refresh(): Promise<void> {
    if (useSession().me?.must_change_password) return  // nothing opens until then
    try {
      const page = await unwrap(api.GET('/api/v1/notifications', { params: { query: { unread: true, page_size: 1 } } }))
      unread.value = page.total ?? 0
    } catch {
      // The count is a hint; the inbox page shows a failure itself.
    }
  }
  return { unread, refresh }
})
