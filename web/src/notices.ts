import type { Notice } from '@/api/live'

type T = (key: string, params?: Record<string, unknown>) => string

/** A live notice in the current language (enum values translated too). */
export function noticeText(t: T, notice: Notice): string {
  const params: Record<string, unknown> = { ...notice.params }
  if (notice.key === 'notice.claimChanged') {
    params.state = t(`enum.ClaimState.${notice.params.state}`)
    params.attendance = t(`enum.Attendance.${notice.params.attendance}`)
  }
  if (notice.key === 'notice.demandChanged') params.status = t(`enum.DemandStatus.${notice.params.status}`)
  if (notice.key === 'notice.redemptionChanged') params.state = t(`enum.RedemptionState.${notice.params.state}`)
  return t(notice.key, params)
}
