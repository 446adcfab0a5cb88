// What a page's unit test stands on: a store signed in as someone, and a router already
// at the page's address. Shared by the tests of the report pages.
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { createMemoryHistory, createRouter, type Router, type RouteRecordRaw } from 'vue-router'
import { useSession } from '@/stores/session'

type Me = NonNullable<ReturnType<typeof useSession>['me']>

/** A JSON answer, as fetch gives it. */
export function json(body: unknown) {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } })
}

/** A store where ``me`` is signed in, and a router standing at ``address``. */
export async function pageAt(address: string, routes: RouteRecordRaw[], me: Me): Promise<{ pinia: Pinia, router: Router }> {
  const pinia = createPinia()
  setActivePinia(pinia)
  useSession().me = me
  const router = createRouter({ history: createMemoryHistory(), routes })
  router.push(address)
  await router.isReady()
  return { pinia, router }
}
