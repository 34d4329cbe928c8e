// Human sizes, relative times and short digests.

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function humanSize(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—'
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return i === 0 ? `${n} B` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`
}

/** parseTime returns null for Harbor's zero time ("never"). */
export function parseTime(s?: string): Date | null {
  if (!s) return null
  const d = new Date(s)
  if (isNaN(d.getTime()) || d.getUTCFullYear() < 1971) return null
  return d
}

const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
const steps: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
]

export function relTime(s?: string, never = 'never'): string {
  const d = parseTime(s)
  if (!d) return never
  let v = (d.getTime() - Date.now()) / 1000
  for (const [unit, n] of steps) {
    if (Math.abs(v) < n) return rtf.format(Math.round(v), unit)
    v /= n
  }
  return d.toLocaleString()
}

export function absTime(s?: string): string {
  const d = parseTime(s)
  return d ? d.toLocaleString() : ''
}

export function shortDigest(d: string): string {
  const [alg, hex] = d.split(':')
  return hex ? `${alg}:${hex.slice(0, 12)}` : d
}

export function platformText(p?: { os: string; architecture: string; variant?: string }): string {
  if (!p) return 'unknown'
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/')
}
