import { describe, expect, it } from 'vitest'
import { formatDate, formatDateTime, formatPeriod, formatPoints, officeQuarter, officeToday, outcomeLine, statusName } from '@/labels'

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
    expect(formatDateTime('2026-03-05T01:07:00Z')).toBe('2026年3月5日 09:07')
    expect(formatDate('不是日期')).toBe('不是日期')
    expect(officeToday(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01-01')
    expect(officeToday(new Date('2026-12-31T15:59:59Z'))).toBe('2026-12-31')
  })

  it('agrees with the time-zone database on Beijing time, any instant of these years', () => {
    const zone = { timeZone: 'Asia/Shanghai' } as const
    const date = new Intl.DateTimeFormat('zh-CN', { ...zone, year: 'numeric', month: 'long', day: 'numeric' })
    const time = new Intl.DateTimeFormat('zh-CN', { ...zone, hour: '2-digit', minute: '2-digit', hour12: false })
    const iso = new Intl.DateTimeFormat('en-CA', zone)
    let seed = 20261206
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const from = Date.UTC(1992, 0, 1)
    const to = Date.UTC(2100, 0, 1)
    for (let i = 0; i < 2000; i++) {
      const when = new Date(from + Math.floor(next() * (to - from) / 60000) * 60000)
      expect(formatDateTime(when.toISOString())).toBe(`${date.format(when)} ${time.format(when)}`)
      expect(officeToday(when)).toBe(iso.format(when))
    }
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
