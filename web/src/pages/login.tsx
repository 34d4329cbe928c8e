import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { login, session } from '../api'
import { ErrorBox } from '../components'

export function Login(_: { path?: string }) {
  const loc = useLocation()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(loc.query.error ? new Error('Invalid username or password.') : null)
  const next = loc.query.next && loc.query.next.startsWith('/') && !loc.query.next.startsWith('//') ? loc.query.next : '/'
  if (session()) {
    queueMicrotask(() => loc.route(next === '/login' ? '/' : next, true))
  }
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await login(username, password)
      loc.route(next.startsWith('/login') ? '/' : next, true)
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return (
    <article class="login">
      <header>
        <h1>Berth</h1>
        <p class="muted">Log in to the registry.</p>
      </header>
      <form method="post" action="/c/login" onSubmit={submit}>
        <label>
          Username
          <input name="username" autocomplete="username" required autofocus value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <ErrorBox error={error} />
        <button type="submit" aria-busy={busy} disabled={busy}>
          Log in
        </button>
      </form>
    </article>
  )
}
