import { get, repoPath, type Artifact, type HistoryEntry, type Layers } from '../api'
import { Breadcrumb, Code, CopyButton, ErrorBox, Loading, registryHost, Table, useLoad } from '../components'
import { absTime, humanSize, platformText, relTime, shortDigest } from '../format'
import { artifactHref } from './repository'

function KeyValues({ title, values }: { title: string; values?: Record<string, string> | null }) {
  const entries = Object.entries(values ?? {})
  return (
    <section>
      <h2>{title}</h2>
      {entries.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <Table cols={[{ label: 'Key' }, { label: 'Value' }]} striped={false}>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" class="mono wrap">
                {k}
              </th>
              <td class="mono wrap">{v}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  )
}

function LayersTable({ base }: { base: string }) {
  const res = useLoad(() => get<Layers>(base + '/additions/layers'), [base])
  if (res.loading && !res.data) return <Loading what="layers" />
  if (res.error) return <ErrorBox error={res.error} />
  const ls = res.data?.layers ?? []
  const total = ls.reduce((n, l) => n + l.size, 0)
  return (
    <section>
      <h2>Layers</h2>
      {ls.length === 0 ? (
        <p class="muted">No layers.</p>
      ) : (
        <Table
          label="Layers"
          cols={[{ label: '#', num: true }, { label: 'Digest' }, { label: 'Media type' }, { label: 'Size', num: true }]}
          foot={
            <tr>
              <td colSpan={3}>Total of {ls.length} layers (compressed)</td>
              <td class="num">{humanSize(total)}</td>
            </tr>
          }
        >
          {ls.map((l, i) => (
            <tr key={l.digest + i}>
              <td class="num">{i + 1}</td>
              <td class="nowrap">
                <span class="mono" title={l.digest}>
                  {shortDigest(l.digest)}
                </span>{' '}
                <CopyButton text={l.digest} />
              </td>
              <td class="small wrap">{l.media_type}</td>
              <td class="num nowrap">{humanSize(l.size)}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  )
}

function History({ base }: { base: string }) {
  const res = useLoad(() => get<HistoryEntry[]>(base + '/additions/build_history'), [base])
  return (
    <section>
      <h2>Build history</h2>
      {res.loading && !res.data && <Loading what="build history" />}
      <ErrorBox error={res.error} />
      {res.data && res.data.length === 0 && <p class="muted">The image config records no history.</p>}
      {res.data && res.data.length > 0 && (
        <Table label="Build history" cols={[{ label: 'Created' }, { label: 'Created by' }, { label: 'Layer' }]}>
          {res.data.map((h, i) => (
            <tr key={i}>
              <td class="nowrap" title={absTime(h.created)}>
                {relTime(h.created, '—')}
              </td>
              <td class="mono wrap">
                {h.created_by}
                {h.comment && <div class="muted small">{h.comment}</div>}
              </td>
              <td>{h.empty_layer ? <span class="muted">empty</span> : 'layer'}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  )
}

export function ArtifactPage({ project, repo, reference }: { path?: string; project?: string; repo?: string; reference?: string }) {
  const name = `${project}/${repo}`
  const base = repoPath(project!, name) + '/artifacts/' + encodeURIComponent(reference!)
  const res = useLoad(() => get<Artifact>(base + '?with_tag=true'), [base])
  const a = res.data
  const host = registryHost()
  const ref = a ? `${host}/${name}@${a.digest}` : ''
  const labels = (a?.extra_attrs?.config?.Labels ?? null) as Record<string, string> | null
  return (
    <section>
      <Breadcrumb
        items={[
          { label: 'Projects', href: '/' },
          { label: project!, href: `/projects/${encodeURIComponent(project!)}` },
          { label: repo!, href: `/projects/${encodeURIComponent(project!)}/repositories/${encodeURIComponent(repo!)}` },
          { label: reference!.startsWith('sha256:') ? shortDigest(reference!) : reference! },
        ]}
      />
      <ErrorBox error={res.error} />
      {res.loading && !a && <Loading what="artifact" />}
      {a && (
        <>
          <h1 class="wrap">
            {name}
            <span class="muted">@{shortDigest(a.digest)}</span>
          </h1>
          <div class="cmd">
            <code class="wrap">{a.digest}</code>
            <CopyButton text={a.digest} label="Copy digest" />
          </div>
          <dl class="facts">
            <div>
              <dt>Type</dt>
              <dd>{a.type}</dd>
            </div>
            <div>
              <dt>Size</dt>
              <dd>{humanSize(a.size)}</dd>
            </div>
            <div>
              <dt>Pushed</dt>
              <dd title={absTime(a.push_time)}>{relTime(a.push_time)}</dd>
            </div>
            <div>
              <dt>Last pull</dt>
              <dd title={absTime(a.pull_time)}>{relTime(a.pull_time)}</dd>
            </div>
            <div>
              <dt>Pulls</dt>
              <dd>{a.pull_count}</dd>
            </div>
            {a.extra_attrs?.os && (
              <div>
                <dt>Platform</dt>
                <dd>
                  {a.extra_attrs.os}/{a.extra_attrs.architecture}
                </dd>
              </div>
            )}
            <div>
              <dt>Media type</dt>
              <dd class="small wrap">{a.manifest_media_type}</dd>
            </div>
          </dl>
          <section>
            <h2>Tags</h2>
            {a.tags.length === 0 ? (
              <p class="muted">Untagged.</p>
            ) : (
              <ul class="tags" aria-label="Tags">
                {a.tags.slice(0, 200).map((t) => (
                  <li key={t.name}>
                    <mark class="tag" title={`pushed ${absTime(t.push_time)}`}>
                      {t.name}
                    </mark>
                  </li>
                ))}
                {a.tags.length > 200 && <li class="muted">and {a.tags.length - 200} more</li>}
              </ul>
            )}
          </section>
          <section>
            <h2>Pull</h2>
            <Code text={`docker pull ${ref}`} />
            <Code text={`podman pull ${ref}`} />
            <Code text={`crane pull ${ref} image.tar`} />
            {a.tags[0] && <Code text={`docker pull ${host}/${name}:${a.tags[0].name}`} />}
          </section>
          {a.references.length > 0 && (
            <section>
              <h2>Platforms</h2>
              <Table cols={[{ label: 'Platform' }, { label: 'Digest' }]}>
                {a.references.map((r) => (
                  <tr key={r.child_digest}>
                    <td>{platformText(r.platform)}</td>
                    <td>
                      <a class="mono" href={artifactHref(project!, repo!, r.child_digest)}>
                        {shortDigest(r.child_digest)}
                      </a>
                    </td>
                  </tr>
                ))}
              </Table>
            </section>
          )}
          {a.type === 'IMAGE' && a.references.length === 0 && (
            <>
              <LayersTable base={base} />
              <History base={base} />
            </>
          )}
          <KeyValues title="Labels" values={labels} />
          <KeyValues title="Annotations" values={a.annotations} />
        </>
      )}
    </section>
  )
}
