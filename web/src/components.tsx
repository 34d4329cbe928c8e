import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ApiError, type Page } from './api'

/** CopyButton copies text to the clipboard and says so. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'' | 'ok' | 'fail'>('')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setDone('ok')
    } catch {
      setDone('fail')
    }
    setTimeout(() => setDone(''), 1500)
  }
  return (
    <button type="button" class="secondary outline copy" onClick={copy} aria-label={`${label}: ${text}`} title={text}>
      {done === 'ok' ? 'Copied' : done === 'fail' ? 'Select and copy' : label}
    </button>
  )
}

/** Code is a one-line command with a copy button. */
export function Code({ text }: { text: string }) {
  return (
    <div class="cmd">
      <code>{text}</code>
      <CopyButton text={text} />
    </div>
  )
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null
  let msg = error instanceof Error ? error.message : String(error)
  if (error instanceof ApiError && error.status === 403) msg = `You do not have permission for this: ${msg}`
  if (error instanceof ApiError && error.status === 404) msg = `Not found: ${msg}`
  return (
    <p class="error" role="alert">
      {msg}
    </p>
  )
}

/** Pager is server-side pagination: page numbers from the X-Total-Count. */
export function Pager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize))
  if (total <= pageSize && page === 1) return <p class="muted small">{total} in all</p>
  const from = (page - 1) * pageSize + 1
  const to = Math.min(total, page * pageSize)
  return (
    <nav class="pager" aria-label="Pagination">
      <button type="button" class="secondary outline" disabled={page <= 1} onClick={() => onPage(1)} aria-label="First page">
        «
      </button>
      <button type="button" class="secondary outline" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span class="small" aria-live="polite">
        {from}–{to} of {total} (page {page} of {pages})
      </span>
      <button type="button" class="secondary outline" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
      <button type="button" class="secondary outline" disabled={page >= pages} onClick={() => onPage(pages)} aria-label="Last page">
        »
      </button>
    </nav>
  )
}

export interface Loaded<T> {
  data: T | null
  error: unknown
  loading: boolean
  reload: () => void
}

/** useLoad runs fetch whenever deps change and keeps the latest answer. */
export function useLoad<T>(fetch: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true })
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    setState((s) => ({ ...s, loading: true }))
    fetch().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    )
    return () => {
      live = false
    }
  }, [...deps, tick])
  return { ...state, reload: () => setTick((t) => t + 1) }
}

/** useDebounced returns value once it has stopped changing for ms. */
export function useDebounced<T>(value: T, ms = 250): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}

export function Loading({ what }: { what: string }) {
  return <p aria-busy="true">Loading {what}…</p>
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>
}

export function registryHost(): string {
  return location.host
}

export function SearchBox({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  return <input type="search" placeholder={label} aria-label={label} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
}

export interface Col {
  label: string
  num?: boolean
  /** hidden columns are named for screen readers only (an actions column). */
  hidden?: boolean
}

/** Table is a horizontally scrollable table with a header row. */
export function Table({ label, cols, children, foot, striped = true }: { label?: string; cols: Col[]; children: ComponentChildren; foot?: ComponentChildren; striped?: boolean }) {
  return (
    <div class="overflow-auto">
      <table class={striped ? 'striped' : undefined} aria-label={label}>
        <thead>
          <tr>
            {cols.map((c) => (
              <th scope="col" key={c.label} class={c.num ? 'num' : undefined}>
                {c.hidden ? <span class="visually-hidden">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
        {foot && <tfoot>{foot}</tfoot>}
      </table>
    </div>
  )
}

/** usePaged is a server-paginated list with an optional search: changing
 *  the search goes back to page 1. */
export function usePaged<T>(load: (page: number, q: string) => Promise<Page<T>>, deps: unknown[]) {
  const [page, setPage] = useState(1)
  const [search, setSearchValue] = useState('')
  const q = useDebounced(search.trim())
  const res = useLoad(() => load(page, q), [...deps, page, q])
  const setSearch = (v: string) => {
    setSearchValue(v)
    setPage(1)
  }
  return { page, setPage, search, setSearch, q, res }
}

/** useAction runs state-changing calls, optionally after a confirmation,
 *  keeps the last error and reloads the list after success. */
export function useAction(reload: () => void) {
  const [error, setError] = useState<unknown>(null)
  const run = async (fn: () => Promise<unknown>, confirmText?: string) => {
    if (confirmText && !confirm(confirmText)) return
    setError(null)
    try {
      await fn()
      reload()
    } catch (err) {
      setError(err)
    }
  }
  return { error, run }
}

export function Breadcrumb({ items }: { items: { label: string; href?: string }[] }) {
  return (
    <nav aria-label="breadcrumb">
      <ul>
        {items.map((it) => (
          <li key={it.label}>{it.href ? <a href={it.href}>{it.label}</a> : it.label}</li>
        ))}
      </ul>
    </nav>
  )
}
