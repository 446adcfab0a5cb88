import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { ApiError, fieldErrors, messageFor } from '@/api/client'

/**
 * One file chosen in a hidden ``<input type=file>`` and sent at once: ``percent`` while it
 * goes (a phone on a slow line needs to see it move), the server's refusal as a message.
 * ``send(file, onProgress)`` uploads it; ``done`` is said when it was kept.
 */
export function useFileUpload<T>(send: (file: File, onProgress: (p: number) => void) => Promise<T>,
  done: string, kept: (answer: T) => void) {
  const input = ref<HTMLInputElement | null>(null)
  const percent = ref<number | null>(null)

  async function chosen(event: Event) {
    const target = event.target as HTMLInputElement
    const file = target.files?.[0]
    target.value = ''
    if (!file) return
    percent.value = 0
    try {
      const answer = await send(file, (p) => { percent.value = p })
      ElMessage.success(done)
      kept(answer)
    } catch (error) {
      ElMessage.error(fieldErrors(error).file ?? (error instanceof ApiError && error.status === 413
        ? '文件不能超过 20 MB。' : messageFor(error)))
    } finally {
      percent.value = null
    }
  }

  return { input, percent, chosen }
}
