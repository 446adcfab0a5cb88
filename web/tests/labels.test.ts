import { describe, expect, it } from 'vitest'
import { formatDate, formatDateTime, formatPeriod, formatPoints, officeQuarter, outcomeLine, statusName } from '@/labels'

describe('what people read', () => {
  it('names every status in Chinese, 综合采用 for a merged adoption', () => {
    expect(['draft', 'submitted', 'returned', 'resubmitted', 'adopted', 'retained', 'rejected', 'withdrawn']
      .map((s) => statusName(s))).toEqual(['草稿', '已提交', '退回修改', '已重新提交', '已采用', '留存', '不予采用', '已撤回'])
    expect(statusName('adopted', 'merged')).toBe('综合采用')
    expect(statusName('adopted', 'single')).toBe('已采用')
  })

  it('says an outcome with its level and, where it has one, its mode', () => {
    expect(outcomeLine({ kind: 'upstream_adopted', level: 'province', date: '2026-10-01', mode: 'single' }))
      .toBe('省级上级采用（单篇采用）')
    expect(outcomeLine({ kind: 'instructed', level: 'city', date: '2026-10-01', leader: '市长' })).toBe('市级领导批示')
  })

  it('writes dates the Chinese way, on the office calendar', () => {
    expect(formatDate('2026-09-30')).toBe('2026年9月30日')
    // 16:30 UTC on 30 September is already 1 October in Beijing.
    expect(formatDate('2026-09-30T16:30:00+00:00')).toBe('2026年10月1日')
    expect(formatDateTime('2026-09-30T16:30:00+00:00')).toBe('2026年10月1日 00:30')
    expect(formatDate(null)).toBe('')
  })

  it('writes periods and points as an office prints them', () => {
    expect(formatPeriod('2026-Q3')).toBe('2026年第三季度')
    expect(formatPeriod('2026')).toBe('2026年')
    expect(formatPeriod('2025..2026')).toBe('2025—2026年')
    expect(formatPoints(6)).toBe('6')
    expect(formatPoints(6.5)).toBe('6.5')
    expect(formatPoints(6.0)).not.toBe('6.0')
  })

  it('finds the quarter in Beijing time', () => {
    expect(officeQuarter(new Date('2026-09-30T16:30:00Z'))).toEqual({ year: 2026, quarter: 4 })
    expect(officeQuarter(new Date('2026-09-30T15:59:00Z'))).toEqual({ year: 2026, quarter: 3 })
  })
})
