import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { fieldErrors, messageFor } from '@/api/client'

/**
 * One form's sending: ``busy`` while it goes, the server's field errors in ``errors``
 * (shown at the fields), anything else as a message. ``run`` answers what the server
 * answered, or undefined when it failed.
 */
export function useSubmit() {
  const busy = ref(false)
  const errors = ref<Record<string, string>>({})

  async function run<T>(send: () => Promise<T>): Promise<T | undefined> {
    busy.value = true
    errors.value = {}
    try {
      return await send()
    } catch (error) {
      errors.value = fieldErrors(error)
      if (!Object.keys(errors.value).length) ElMessage.error(messageFor(error))
      return undefined
    } finally {
      busy.value = false
    }
  }

  return { busy, errors, run }
}
