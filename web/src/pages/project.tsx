import { useState } from 'preact/hooks'
import { get, list, type Project, type Repository } from '../api'
import { Code, Empty, ErrorBox, Loading, Pager, registryHost, useDebounced, useLoad } from '../components'
import { relTime } from '../format'
import { Members } from './members'
import { Robots } from './robots'
import { Logs } from './logs'

const pageSize = 15

const tabs = [
  { id: 'repositories', label: 'Repositories' },
  { id: 'members', label: 'Members' },
  { id: 'robots', label: 'Robot accounts' },
  { id: 'logs', label: 'Audit log' },
]

function Repositories({ project }: { project: Project }) {
  const [page, setPage] = useState(1)
  const [search, setSearch] = useState('')
  const q = useDebounced(search.trim())
  const res = useLoad(
    () => list<Repository>(`/projects/${encodeURIComponent(project.name)}/repositories`, page, pageSize, q ? { q: `name=~${q}` } : {}),
    [project.name, page, q],
  )
  const host = registryHost()
  return (
    <>
      <input
        type="search"
        placeholder="Search repositories"
        aria-label="Search repositories"
        value={search}
        onInput={(e) => {
          setSearch(e.currentTarget.value)
          setPage(1)
        }}
      />
      <ErrorBox error={res.error} />
      {res.loading && !res.data && <Loading what="repositories" />}
      {res.data && res.data.total === 0 && !q && (
        <Empty>
          <h2>No repositories in {project.name} yet</h2>
          <p>Log in and push an image to this project:</p>
          <Code text={`docker login ${host}`} />
          <Code text={`docker tag IMAGE:TAG ${host}/${project.name}/IMAGE:TAG`} />
          <Code text={`docker push ${host}/${project.name}/IMAGE:TAG`} />
        </Empty>
      )}
      {res.data && res.data.total === 0 && q && <p>No repository matches “{q}”.</p>}
      {res.data && res.data.total > 0 && (
        <>
          <div class="overflow-auto">
            <table class="striped">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" class="num">
                    Artifacts
                  </th>
                  <th scope="col" class="num">
                    Pulls
                  </th>
                  <th scope="col">Last modified</th>
                </tr>
              </thead>
              <tbody>
                {res.data.items.map((r) => {
                  const rest = r.name.slice(project.name.length + 1)
                  return (
                    <tr key={r.id}>
                      <td>
                        <a href={`/projects/${encodeURIComponent(project.name)}/repositories/${encodeURIComponent(rest)}`}>{r.name}</a>
                      </td>
                      <td class="num">{r.artifact_count}</td>
                      <td class="num">{r.pull_count}</td>
                      <td title={r.update_time}>{relTime(r.update_time)}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
          <Pager page={page} pageSize={pageSize} total={res.data.total} onPage={setPage} />
        </>
      )}
    </>
  )
}

export function ProjectPage({ project: name, tab = 'repositories' }: { path?: string; project?: string; tab?: string }) {
  const res = useLoad(() => get<Project>(`/projects/${encodeURIComponent(name!)}`), [name])
  const p = res.data
  return (
    <section>
      <nav aria-label="breadcrumb">
        <ul>
          <li>
            <a href="/">Projects</a>
          </li>
          <li>{name}</li>
        </ul>
      </nav>
      <ErrorBox error={res.error} />
      {res.loading && !p && <Loading what="project" />}
      {p && (
        <>
          <div class="titlebar">
            <h1>{p.name}</h1>
            {p.metadata?.public === 'true' ? <mark class="pub">public</mark> : <span class="muted">private</span>}
          </div>
          <nav class="tabs" aria-label="Project sections">
            <ul>
              {tabs.map((t) => (
                <li key={t.id}>
                  <a href={`/projects/${encodeURIComponent(p.name)}/${t.id}`} aria-current={tab === t.id ? 'page' : undefined}>
                    {t.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          {tab === 'repositories' && <Repositories project={p} />}
          {tab === 'members' && <Members project={p} />}
          {tab === 'robots' && <Robots project={p} />}
          {tab === 'logs' && <Logs project={p} />}
        </>
      )}
    </section>
  )
}
