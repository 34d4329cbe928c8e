import '@picocss/pico/css/pico.min.css'
import './app.css'
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { LocationProvider, Router, useLocation } from 'preact-iso'
import { logout, onSession, restore, session, type Session } from './api'
import { Login } from './pages/login'
import { Projects } from './pages/projects'
import { ProjectPage } from './pages/project'
import { RepositoryPage } from './pages/repository'
import { ArtifactPage } from './pages/artifact'

function NotFound(_: { default?: boolean }) {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href="/">Go to the projects</a>
      </p>
    </section>
  )
}

function Header({ s }: { s: Session }) {
  const loc = useLocation()
  const out = async () => {
    await logout()
    loc.route('/login')
  }
  return (
    <header class="container-fluid topbar">
      <nav aria-label="Main">
        <ul>
          <li>
            <a href="/" class="brand">
              Berth
            </a>
          </li>
          <li>
            <a href="/" aria-current={loc.path === '/' ? 'page' : undefined}>
              Projects
            </a>
          </li>
        </ul>
        <ul>
          <li class="who">
            {s.username}
            {s.sysadmin ? ' (admin)' : ''}
          </li>
          {!s.auth_disabled && (
            <li>
              <button type="button" class="secondary outline" onClick={out}>
                Log out
              </button>
            </li>
          )}
        </ul>
      </nav>
    </header>
  )
}

function Shell() {
  const loc = useLocation()
  const [s, setS] = useState<Session | null>(session())
  const [ready, setReady] = useState(false)
  useEffect(() => {
    const off = onSession(setS)
    restore().finally(() => setReady(true))
    return () => {
      off()
    }
  }, [])
  useEffect(() => {
    if (ready && !s && loc.path !== '/login') {
      loc.route('/login?next=' + encodeURIComponent(loc.url), true)
    }
  }, [ready, s, loc.path])
  if (!ready) return <main class="container" aria-busy="true" />
  if (!s) {
    return (
      <main class="container narrow">
        <Login />
      </main>
    )
  }
  return (
    <>
      <Header s={s} />
      <main class="container">
        <Router>
          <Projects path="/" />
          <Login path="/login" />
          <ProjectPage path="/projects/:project" />
          <ProjectPage path="/projects/:project/:tab" />
          <RepositoryPage path="/projects/:project/repositories/:repo" />
          <ArtifactPage path="/projects/:project/repositories/:repo/artifacts/:reference" />
          <NotFound default />
        </Router>
      </main>
    </>
  )
}

render(
  <LocationProvider>
    <Shell />
  </LocationProvider>,
  document.getElementById('app')!,
)
