// The content rules (docs/reports.md), checked before sending so that people see the rules as they write; the
// server checks again and its field errors are shown at the same fields.
export const TITLE_MIN = 5
export const TITLE_MAX = 60
export const PART_MAX = 1500
export const TOTAL_MIN = 100
export const CO_AUTHORS_MAX = 10
export const RULES_TEXT =
  `标题${TITLE_MIN}至${TITLE_MAX}个字；情况、分析、建议三项均为必填，每项不超过${PART_MAX}字，` +
  `三项合计不少于${TOTAL_MIN}字；联名作者最多${CO_AUTHORS_MAX}人。`

export interface ReportDraft {
  title: string
  category: string
  unit_id: string | null
  co_author_ids: string[]
  consent_to_publish: boolean
  /** 苗头性、预警性: editors see it first and are told at once. */
  urgent?: boolean
  situation: string
  analysis: string
  suggestions: string
  /** 代录: the author the office enters the report for, and the day it was handed in. */
  on_behalf_of?: string | null
  received_on?: string | null
  /** 年度选题 and 约稿: the topic it is written on, the commission it answers. */
  topic_id?: string | null
  commission_id?: string | null
}

export function emptyDraft(): ReportDraft {
  return { title: '', category: '', unit_id: null, co_author_ids: [], consent_to_publish: true, urgent: false,
    situation: '', analysis: '', suggestions: '' }
}

// Control characters other than tab and newline are refused by the server (docs/reports.md).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/

function length(text: string): number {
  return [...text].length
}

export function bodyLength(draft: ReportDraft): number {
  return length(draft.situation) + length(draft.analysis) + length(draft.suggestions)
}

/** Field → messages, empty when the draft may be submitted. */
export function checkDraft(draft: ReportDraft): Record<string, string[]> {
  const errors: Record<string, string[]> = {}
  const add = (field: string, message: string) => (errors[field] ??= []).push(message)
  const title = draft.title.trim()
  if (!title) add('title', '请填写标题')
  else if (length(title) < TITLE_MIN || length(title) > TITLE_MAX)
    add('title', `标题应为${TITLE_MIN}至${TITLE_MAX}个字，现为${length(title)}个字`)
  if (/[\r\n]/.test(draft.title)) add('title', '标题只能是一行')
  if (!draft.category) add('category', '请选择类别')
  const parts: [keyof ReportDraft, string][] = [['situation', '情况'], ['analysis', '分析'], ['suggestions', '建议']]
  for (const [field, name] of parts) {
    const text = draft[field] as string
    if (!text.trim()) add(field, `请填写${name}`)
    else if (length(text) > PART_MAX) add(field, `${name}不能超过${PART_MAX}字，现为${length(text)}字`)
    if (CONTROL.test(text)) add(field, `${name}含有不可见的控制字符，请删除后再提交`)
  }
  const total = bodyLength(draft)
  if (!errors.situation && !errors.analysis && !errors.suggestions && total < TOTAL_MIN)
    add('suggestions', `情况、分析、建议合计应不少于${TOTAL_MIN}字，现为${total}字`)
  if (draft.co_author_ids.length > CO_AUTHORS_MAX) add('co_author_ids', `联名作者最多${CO_AUTHORS_MAX}人`)
  return errors
}
