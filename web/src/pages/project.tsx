import { get, list, type Project, type Repository } from '../api'
import { Breadcrumb, Code, Empty, ErrorBox, Loading, Pager, registryHost, SearchBox, Table, useLoad, usePaged } from '../components'
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
  const { page, setPage, search, setSearch, q, res } = usePaged(
    (page, q) => list<Repository>(`/projects/${encodeURIComponent(project.name)}/repositories`, page, pageSize, q ? { q: `name=~${q}` } : {}),
    [project.name],
  )
  const host = registryHost()
  return (
    <>
      <SearchBox label="Search repositories" value={search} onChange={setSearch} />
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
          <Table cols={[{ label: 'Name' }, { label: 'Artifacts', num: true }, { label: 'Pulls', num: true }, { label: 'Last modified' }]}>
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
          </Table>
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
      <Breadcrumb items={[{ label: 'Projects', href: '/' }, { label: name! }]} />
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
