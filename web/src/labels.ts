// Every word a person reads about a report, in Chinese (docs/web.md, docs/office.md).
export const STATUS_NAMES: Record<string, string> = {
  draft: '草稿', submitted: '已提交', returned: '退回修改', resubmitted: '已重新提交',
  adopted: '已采用', retained: '留存', rejected: '不予采用', withdrawn: '已撤回',
}
export type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'
const STATUS_TAGS: Record<string, TagType> = {
  draft: 'info', submitted: 'primary', returned: 'warning', resubmitted: 'primary',
  adopted: 'success', retained: 'primary', rejected: 'danger', withdrawn: 'info',
}

/** 已采用, or 综合采用 when the report was adopted as part of a merged piece. */
export function statusName(status: string, mode?: string | null): string {
  if (status === 'adopted' && mode === 'merged') return '综合采用'
  return STATUS_NAMES[status] ?? status
}
export function statusTag(status: string): TagType {
  return STATUS_TAGS[status] ?? 'info'
}

export const CATEGORIES: Record<string, string> = {
  economy: '经济发展', rural: '乡村振兴', urban: '城乡建设', culture_tourism: '文化旅游',
  ecology: '生态环境', education: '教育', employment: '就业', social_security: '社会保障',
  health: '医疗卫生', safety: '公共安全', governance: '社会治理', other: '其他',
}
export const LEVELS: Record<string, string> = {
  county: '县级', city: '市级', province: '省级', national: '全国',
}
export const OUTCOMES: Record<string, string> = {
  forwarded: '报送', upstream_adopted: '上级采用', department_adopted: '部门采用',
  instructed: '领导批示',
}
export const MODES: Record<string, string> = { single: '单篇采用', merged: '综合采用' }
export const REJECT_REASONS: Record<string, string> = {
  petition: '属于信访事项', litigation: '涉及诉讼', personnel: '涉及人事', secret: '涉密',
  privacy: '涉及个人隐私或商业秘密', local_matter: '镇办可解决，不再上报',
  out_of_jurisdiction: '不属于政协职责范围', duplicate: '内容重复', plagiarism: '涉嫌抄袭',
  no_suggestion: '缺少分析和建议', other: '其他原因',
}
export const ROLES: Record<string, string> = {
  member: '委员', officer: '信息员', unit_admin: '单位管理员', editor: '编辑', admin: '管理员',
}
export const UNIT_KINDS: Record<string, string> = {
  party: '民主党派', committee: '专委会', town_office: '镇办政协工作室', sector: '界别',
  direct_point: '信息直报点', other: '其他',
}
// What happened, as the timeline of a report says it.
export const HISTORY_ACTIONS: Record<string, string> = {
  created: '创建草稿', edited: '修改内容', submitted: '提交', resubmitted: '重新提交',
  returned: '退回修改', adopted: '采用', retained: '留存', rejected: '不予采用',
  withdrawn: '撤回', ...OUTCOMES,
}
export const SCORE_EVENTS: Record<string, string> = {
  submitted: '报送', accepted: '录用基础分', adopted: '本级采用', forwarded: '报送部门',
  upstream_adopted: '上级采用', department_adopted: '部门采用', instructed: '领导批示',
}

const OFFICE_ZONE = 'Asia/Shanghai'
const dateFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: OFFICE_ZONE, year: 'numeric', month: 'long', day: 'numeric',
})
const timeFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: OFFICE_ZONE, hour: '2-digit', minute: '2-digit', hour12: false,
})

/** 2026年9月30日 (a timestamp is shown on the office's calendar; a date as it is). */
export function formatDate(value?: string | null): string {
  if (!value) return ''
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-').map(Number)
    return `${y}年${m}月${d}日`
  }
  const when = new Date(value)
  return Number.isNaN(when.getTime()) ? value : dateFormat.format(when)
}

/** 2026年9月30日 14:05 */
export function formatDateTime(value?: string | null): string {
  if (!value) return ''
  const when = new Date(value)
  if (Number.isNaN(when.getTime())) return value
  return `${dateFormat.format(when)} ${timeFormat.format(when)}`
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
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: OFFICE_ZONE, year: 'numeric', month: 'numeric' })
    .formatToParts(when)
  const year = Number(parts.find((p) => p.type === 'year')?.value)
  const month = Number(parts.find((p) => p.type === 'month')?.value)
  return { year, quarter: Math.floor((month - 1) / 3) + 1 }
}

export const DELIVERY_STATUSES: Record<string, string> = {
  pending: '待发送', sending: '发送中', sent: '已发送', failed: '发送失败',
}
export const CHANNELS: Record<string, string> = { email: '邮件', webhook: '推送地址' }
export const EVENT_NAMES: Record<string, string> = {
  report_submitted: '信息提交', report_resubmitted: '重新提交', report_returned: '退回修改',
  report_retained: '留存', report_rejected: '不予采用', report_adopted: '采用',
  report_forwarded: '报送', report_outcome_recorded: '成效录入', points_changed: '积分变动',
  quota_reminder_due: '报送提醒', bulletin_published: '通报发布',
}

/** The quarter before (2026-Q1 → 2025-Q4). */
export function previousQuarter(year: number, quarter: number): { year: number; quarter: number } {
  return quarter === 1 ? { year: year - 1, quarter: 4 } : { year, quarter: quarter - 1 }
}

/** Today on the office's calendar, as 2026-09-30. */
export function officeToday(when = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: OFFICE_ZONE }).format(when)
}
