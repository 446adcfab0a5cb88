// Keeps what a person types in this browser until the server has it, so that nothing
// is lost when a request fails, the page reloads or the phone drops the connection.
import type { ReportDraft } from './rules'

export interface LocalCopy {
  draft: ReportDraft
  savedAt: number
}

function key(userId: string, reportId: string | null): string {
  return `minyi.draft.${userId}.${reportId ?? 'new'}`
}

export function saveLocal(userId: string, reportId: string | null, draft: ReportDraft): void {
  try {
    localStorage.setItem(key(userId, reportId), JSON.stringify({ draft, savedAt: Date.now() }))
  } catch {
    // A full or disabled storage: the form still holds the text.
  }
}

export function loadLocal(userId: string, reportId: string | null): LocalCopy | null {
  try {
    const text = localStorage.getItem(key(userId, reportId))
    return text ? (JSON.parse(text) as LocalCopy) : null
  } catch {
    return null
  }
}

export function forgetLocal(userId: string, reportId: string | null): void {
  localStorage.removeItem(key(userId, reportId))
}
