import { list, repoPath, type Artifact } from '../api'
import { Breadcrumb, Code, CopyButton, Empty, ErrorBox, Loading, Pager, registryHost, SearchBox, Table, usePaged } from '../components'
import { absTime, humanSize, platformText, relTime, shortDigest } from '../format'

const pageSize = 15
const shownTags = 5

export function artifactHref(project: string, repo: string, ref: string): string {
  return `/projects/${encodeURIComponent(project)}/repositories/${encodeURIComponent(repo)}/artifacts/${encodeURIComponent(ref)}`
}

function Tags({ a, href }: { a: Artifact; href: string }) {
  if (!a.tags?.length) return <span class="muted">untagged</span>
  const more = a.tags.length - shownTags
  return (
    <ul class="tags">
      {a.tags.slice(0, shownTags).map((t) => (
        <li key={t.name}>
          <mark class="tag">{t.name}</mark>
        </li>
      ))}
      {more > 0 && (
        <li>
          <a href={href}>+{more} more</a>
        </li>
      )}
    </ul>
  )
}

function Platforms({ a }: { a: Artifact }) {
  if (!a.references?.length) {
    const os = a.extra_attrs?.os
    const arch = a.extra_attrs?.architecture
    return <>{os && arch ? `${os}/${arch}` : '—'}</>
  }
  return (
    <ul class="plain">
      {a.references.map((r) => (
        <li key={r.child_digest}>{platformText(r.platform)}</li>
      ))}
    </ul>
  )
}

export function RepositoryPage({ project, repo }: { path?: string; project?: string; repo?: string }) {
  const name = `${project}/${repo}`
  const { page, setPage, search, setSearch, q, res } = usePaged(
    (page, q) => list<Artifact>(repoPath(project!, name) + '/artifacts', page, pageSize, { with_tag: 'true', ...(q ? { q: `tags=~${q}` } : {}) }),
    [project, repo],
  )
  const host = registryHost()
  return (
    <section>
      <Breadcrumb items={[{ label: 'Projects', href: '/' }, { label: project!, href: `/projects/${encodeURIComponent(project!)}` }, { label: repo! }]} />
      <h1 class="wrap">{name}</h1>
      <Code text={`docker pull ${host}/${name}:TAG`} />
      <SearchBox label="Filter artifacts by tag" value={search} onChange={setSearch} />
      <ErrorBox error={res.error} />
      {res.loading && !res.data && <Loading what="artifacts" />}
      {res.data && res.data.total === 0 && !q && (
        <Empty>
          <h2>No artifacts</h2>
          <p>Push one:</p>
          <Code text={`docker push ${host}/${name}:TAG`} />
        </Empty>
      )}
      {res.data && res.data.total === 0 && q && <p>No artifact has a tag matching “{q}”.</p>}
      {res.data && res.data.total > 0 && (
        <>
          <Table
            label="Artifacts"
            cols={[
              { label: 'Digest' },
              { label: 'Tags' },
              { label: 'Type' },
              { label: 'Platforms' },
              { label: 'Size', num: true },
              { label: 'Pushed' },
              { label: 'Last pull' },
              { label: 'Pulls', num: true },
            ]}
          >
            {res.data.items.map((a) => {
              const href = artifactHref(project!, repo!, a.digest)
              return (
                <tr key={a.digest}>
                  <td class="nowrap">
                    <a href={href} class="mono" title={a.digest}>
                      {shortDigest(a.digest)}
                    </a>{' '}
                    <CopyButton text={a.digest} label="Copy" />
                  </td>
                  <td>
                    <Tags a={a} href={href} />
                  </td>
                  <td>
                    {a.type}
                    <div class="muted small wrap" title={a.manifest_media_type}>
                      {a.media_type}
                    </div>
                  </td>
                  <td>
                    <Platforms a={a} />
                  </td>
                  <td class="num nowrap">{humanSize(a.size)}</td>
                  <td title={absTime(a.push_time)}>{relTime(a.push_time)}</td>
                  <td title={absTime(a.pull_time)}>{relTime(a.pull_time)}</td>
                  <td class="num">{a.pull_count}</td>
                </tr>
              )
            })}
          </Table>
          <Pager page={page} pageSize={pageSize} total={res.data.total} onPage={setPage} />
        </>
      )}
    </section>
  )
}
