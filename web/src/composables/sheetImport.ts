import { ref, type Ref } from 'vue'
import { ElMessage, ElMessageBox } from 'element-plus'
import { ApiError, messageFor } from '@/api/client'

/**
 * A spreadsheet import (the roster, past reports): choose a file, check it (a dry run),
 * then, confirmed, import every row or none. ``send(file, dryRun)`` posts the file;
 * ``confirmText`` says what the import will do; ``done`` runs after it did it.
 */
export function useSheetImport<T>(send: (file: File, dryRun: boolean) => Promise<T>, words: {
  missing: string; confirmText: (checked: T) => string; success: string; done?: () => Promise<unknown>
}) {
  const file = ref<File | null>(null)
  const checked = ref<T | null>(null) as Ref<T | null>
  const applied = ref<T | null>(null) as Ref<T | null>
  const busy = ref(false)
  const problem = ref('')

  function explain(error: unknown): string {
    return error instanceof ApiError && error.errors.file ? String(error.errors.file) : messageFor(error)
  }

  function choose(event: Event) {
    file.value = (event.target as HTMLInputElement).files?.[0] ?? null
    checked.value = applied.value = null
    problem.value = ''
  }

  async function check() {
    if (!file.value) { problem.value = words.missing; return }
    busy.value = true
    problem.value = ''
    try {
      checked.value = await send(file.value, true)
    } catch (error) {
      problem.value = explain(error)
    } finally {
      busy.value = false
    }
  }

  async function apply() {
    if (!file.value || !checked.value) return
    try {
      await ElMessageBox.confirm(words.confirmText(checked.value), '确认导入',
        { confirmButtonText: '导入', cancelButtonText: '取消', type: 'warning' })
    } catch {
      return
    }
    busy.value = true
    try {
      applied.value = await send(file.value, false)
      checked.value = null
      await words.done?.()
      ElMessage.success(words.success)
    } catch (error) {
      problem.value = explain(error)
    } finally {
      busy.value = false
    }
  }

  return { file, checked, applied, busy, problem, choose, check, apply }
}
