import { ref, watch, type Ref } from 'vue'
import { useRoute } from 'vue-router'

/**
 * A parameter of the address of the page that reads it. `useRoute()` follows the app to
 * the next address at once, while the page being left may still have requests on their
 * way and watchers to run: read from the route, they would ask for /reports/undefined.
 * This keeps the page's own value, and follows a change only to another value of the
 * same parameter (the same page shown for another record).
 */
export function useRouteParam(name: string): Ref<string> {
  const route = useRoute()
  const value = ref(String(route.params[name] ?? ''))
  watch(() => route.params[name], (now) => {
    if (typeof now === 'string' && now) value.value = now
  })
  return value
}
