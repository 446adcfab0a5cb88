// Every word a person reads about a report, in Chinese (docs/web.md, docs/office.md). The
// tables of words for stored codes are the server's own (minyi_common/words.py), generated
// into api/words.ts; this module adds how they are shown.
import type { Schemas } from '@/api/client'
import { LEVELS, MODES, OUTCOMES, STATUSES } from '@/api/words'

export {
  CATEGORIES, CHANNELS, DELIVERY_STATUSES, EVENT_NAMES, HISTORY_ACTIONS, LEVELS, MODES, OUTCOMES,
  REJECT_REASONS, ROLES, SCORE_EVENTS, UNIT_KINDS,
} from '@/api/words'
export const STATUS_NAMES = STATUSES
export type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'
const STATUS_TAGS: Record<string, TagType> = {
  draft: 'info', submitted: 'primary', returned: 'warning', resubmitted: 'primary',
  adopted: 'success', retained: 'primary', rejected: 'danger', withdrawn: 'info',
}

/** 已采用, or 综合采用 when the report was adopted as part of a merged piece. */
export function statusName(status: string, mode?: string | null): string {
  if (status === 'adopted' && mode === 'merged') return MODES.merged
  return STATUS_NAMES[status] ?? status
}
export function statusTag(status: string): TagType {
  return STATUS_TAGS[status] ?? 'info'
}

/** 省级上级采用（单篇采用）: an outcome as the report page and the editor's desk show it. */
export function outcomeLine(outcome: Schemas['Outcome']): string {
  const mode = outcome.mode ? `（${MODES[outcome.mode] ?? outcome.mode}）` : ''
  return `${LEVELS[outcome.level] ?? ''}${OUTCOMES[outcome.kind] ?? outcome.kind}${mode}`
}

// The office's calendar is China Standard Time, UTC+8 all year (no daylight saving since
// 1991). Shifting the instant by eight hours and reading its UTC fields gives the office's
// date and time without Intl's time-zone formatters: building one costs a phone tens of
// milliseconds of the first screen.
const OFFICE_OFFSET_MS = 8 * 3600 * 1000

/** The fields of ``when`` on the office's calendar (null for an invalid date). */
function officeClock(when: Date): { year: number; month: number; day: number; hour: number; minute: number } | null {
  const shifted = new Date(when.getTime() + OFFICE_OFFSET_MS)
  if (Number.isNaN(shifted.getTime())) return null
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(), minute: shifted.getUTCMinutes() }
}
const twoDigits = (value: number) => String(value).padStart(2, '0')

/** 2026年9月30日 (a timestamp is shown on the office's calendar; a date as it is). */
export function formatDate(value?: string | null): string {
  if (!value) return ''
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number)
    return `${y}年${m}月${d}日`
  }
  const clock = officeClock(new Date(value))
  return clock ? `${clock.year}年${clock.month}月${clock.day}日` : value
}

/** 2026年9月30日 14:05 */
export function formatDateTime(value?: string | null): string {
  if (!value) return ''
  const clock = officeClock(new Date(value))
  if (!clock) return value
  return `${clock.year}年${clock.month}月${clock.day}日 ${twoDigits(clock.hour)}:${twoDigits(clock.minute)}`
}

const QUARTERS = ['一', '二', '三', '四']
/** 2026-Q3 → 2026年第三季度; 2026 → 2026年; 2025..2026 → 2025—2026年 */
export function formatPeriod(period: string): string {
  const quarter = /^(\d{4})-Q([1-4])$/.exec(period)
  if (quarter) return `${quarter[1]}年第${QUARTERS[Number(quarter[2]) - 1]}季度`
  if (period.startsWith('term:')) return period.slice(5)
  const range = /^(\d{4})\.\.(\d{4})$/.exec(period)
  if (range) return `${range[1]}—${range[2]}年`
  if (/^\d{4}$/.test(period)) return `${period}年`
  return period
}

/** Points as an office prints them: 6 or 6.5, never 6.0. */
export function formatPoints(points: number): string {
  return String(Math.round(points * 100) / 100)
}

/** The year and quarter of a moment on the office's calendar. */
export function officeQuarter(when = new Date()): { year: number; quarter: number } {
  const clock = officeClock(when)
  if (!clock) return { year: Number.NaN, quarter: Number.NaN }
  return { year: clock.year, quarter: Math.floor((clock.month - 1) / 3) + 1 }
}

/** The quarter before (2026-Q1 → 2025-Q4). */
export function previousQuarter(year: number, quarter: number): { year: number; quarter: number } {
  return quarter === 1 ? { year: year - 1, quarter: 4 } : { year, quarter: quarter - 1 }
}

/** Today on the office's calendar, as 2026-09-30. */
export function officeToday(when = new Date()): string {
  const clock = officeClock(when)
  if (!clock) return ''
  return `${clock.year}-${twoDigits(clock.month)}-${twoDigits(clock.day)}`
}

/** A file's size as people read it: 1.2 MB, 35 KB. */
export function fileSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`
  return `${Math.max(1, Math.round(bytes / 1024))} KB`
}
