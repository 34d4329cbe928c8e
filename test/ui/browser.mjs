// Drives the web UI in headless Chromium (playwright-core, Debian's
// /usr/bin/chromium). Run by ui_test.go, which starts Berth, pushes the
// images and reads this script's stdout: "WAIT project-created" asks it to
// push team/hello (it answers "pushed" on stdin), "RESULT {json}" ends the
// run. Any failed expectation throws, exiting non-zero.
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { join } from 'node:path'

const env = (k) => {
  const v = process.env[k]
  if (!v) throw new Error(`${k} is not set`)
  return v
}
const base = env('BERTH_URL')
const password = env('BERTH_ADMIN_PASSWORD')
const shots = env('BERTH_UI_SCREENSHOTS')
const many = Number(env('BERTH_MANY_TAGS'))
const require = createRequire(join(env('BERTH_WEB_DIR'), 'package.json'))
const { chromium } = require('playwright-core')

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
async function waitFor(msg) {
  console.log('WAIT ' + msg)
  const { value } = await lines.next()
  if (value !== 'pushed') throw new Error(`expected "pushed" on stdin, got ${value}`)
}

function expect(cond, msg) {
  if (!cond) throw new Error('expectation failed: ' + msg)
}

const browser = await chromium.launch({
  executablePath: env('BERTH_UI_CHROMIUM'),
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
})
const result = { screenshots: [], timings_ms: {}, runs_ms: {} }
const problems = []

function watch(page) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) problems.push('console: ' + m.text())
  })
  page.on('pageerror', (e) => problems.push('page error: ' + e.message))
}

async function shot(page, name) {
  const p = join(shots, name + '.png')
  await page.screenshot({ path: p, fullPage: true })
  result.screenshots.push(p)
}

// timed records one run of fn under name; timings_ms keeps the best run.
async function timed(name, fn) {
  const t0 = performance.now()
  await fn()
  const ms = Math.round(performance.now() - t0)
  ;(result.runs_ms[name] ??= []).push(ms)
  result.timings_ms[name] = Math.min(result.timings_ms[name] ?? Infinity, ms)
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light', baseURL: base })
  const page = await ctx.newPage()
  watch(page)
  page.setDefaultTimeout(15000)

  // Log in, by keyboard alone: the username field has focus.
  await page.goto('/')
  await page.waitForURL(/\/login/)
  await page.getByRole('button', { name: 'Log in' }).waitFor()
  await shot(page, '01-login')
  await page.keyboard.type('admin')
  await page.keyboard.press('Tab')
  await page.keyboard.type('wrong-password')
  await page.keyboard.press('Enter')
  await page.getByRole('alert').filter({ hasText: /invalid username or password/i }).waitFor()
  await page.getByLabel('Password').fill(password)
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: 'Projects', exact: true }).waitFor()

  // Create a private project; its empty state says how to push.
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill('team')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await page.getByRole('heading', { name: 'team', exact: true }).waitFor()
  await page.getByText('No repositories in team yet').waitFor()
  expect(await page.getByText(/docker push .*\/team\/IMAGE:TAG/).count() === 1, 'empty state shows docker push')
  await shot(page, '02-project-empty')

  await waitFor('project-created')

  // The pushed image, its tags, its layers and build history.
  await page.goto('/')
  await page.getByRole('link', { name: 'team', exact: true }).waitFor()
  await shot(page, '03-projects')
  await page.getByRole('link', { name: 'team', exact: true }).click()
  await page.getByRole('link', { name: 'team/hello', exact: true }).click()
  const artifacts = page.getByRole('table', { name: 'Artifacts' })
  await artifacts.waitFor()
  for (const tag of ['v1', 'latest', 'multi']) await artifacts.getByText(tag, { exact: true }).waitFor()
  expect((await artifacts.locator('tbody tr').count()) === 2, 'the image and the index in team/hello (index children are not listed)')
  const index = artifacts.locator('tbody tr').filter({ hasText: 'multi' })
  const indexText = await index.innerText()
  expect(/linux\/riscv64/.test(indexText) && /linux\/arm64\/v8/.test(indexText), 'platforms of the index: ' + indexText)
  const row = artifacts.locator('tbody tr').filter({ hasText: 'latest' })
  const rowText = await row.innerText()
  expect(/linux\/amd64/.test(rowText) && /IMAGE/.test(rowText) && /KiB/.test(rowText), 'image row: ' + rowText)
  expect(/\b1\s*$/.test(rowText.trim()), 'pull count 1: ' + rowText)
  await shot(page, '04-repository')
  await row.getByRole('link').first().click()
  const layers = page.getByRole('table', { name: 'Layers' })
  await layers.waitFor()
  expect((await layers.locator('tbody tr').count()) === 3, 'three layers')
  expect(/8\.8 KiB/.test(await layers.innerText()), 'human layer sizes: ' + (await layers.innerText()))
  const history = page.getByRole('table', { name: 'Build history' })
  await history.getByText(/apk add --no-cache curl/).waitFor()
  await page.getByText('org.opencontainers.image.source').waitFor()
  for (const tool of ['docker pull', 'podman pull', 'crane pull']) await page.getByText(new RegExp(`^${tool} .*/team/hello@sha256:`)).waitFor()
  await shot(page, '05-artifact')

  // Members: add alice as a developer, make her a maintainer.
  await page.goto('/projects/team/members')
  await page.getByLabel('Username', { exact: true }).fill('alice')
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Developer' })
  await page.getByRole('button', { name: 'Add member' }).click()
  const role = page.getByLabel('Role of alice')
  await role.waitFor()
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/members/') && r.ok()),
    role.selectOption({ label: 'Maintainer' }),
  ])
  await page.reload()
  await page.getByLabel('Role of alice').waitFor()
  expect((await page.getByLabel('Role of alice').inputValue()) === '4', 'alice is a maintainer after reload')
  await shot(page, '06-members')
  // Remove a member (after confirming).
  await page.getByLabel('Username', { exact: true }).fill('bob')
  await page.getByRole('button', { name: 'Add member' }).click()
  await page.getByLabel('Role of bob').waitFor()
  page.once('dialog', (d) => d.accept())
  await page.getByRole('button', { name: 'Remove bob' }).click()
  await page.getByLabel('Role of bob').waitFor({ state: 'detached' })

  // A robot account: its secret is shown once, with a copy button.
  await page.getByRole('link', { name: 'Robot accounts' }).click()
  await page.getByRole('button', { name: 'New robot account' }).click()
  await page.getByLabel('Name', { exact: true }).fill('ci')
  await page.getByLabel('Push', { exact: true }).check()
  await page.getByRole('button', { name: 'Create robot account' }).click()
  const secret = page.getByTestId('robot-secret')
  await secret.waitFor()
  result.robot_secret = (await secret.innerText()).trim()
  result.robot_name = 'robot$team+ci'
  expect(result.robot_secret.length >= 16, 'robot secret shown')
  await page.getByRole('button', { name: 'Copy secret' }).waitFor()
  await shot(page, '07-robot-secret')
  await page.getByRole('button', { name: 'I have saved the secret' }).click()
  await page.getByRole('cell', { name: 'robot$team+ci', exact: true }).waitFor()
  expect((await page.getByTestId('robot-secret').count()) === 0, 'secret gone once dismissed')

  // The audit log has what just happened.
  await page.getByRole('link', { name: 'Audit log' }).click()
  const log = page.getByRole('table', { name: 'Audit log' })
  await log.waitFor()
  const text = await log.innerText()
  for (const want of ['team/hello', 'alice', 'robot$team+ci']) expect(text.includes(want), `audit log mentions ${want}:\n${text}`)
  await shot(page, '08-audit-log')

  // 5,000 tagged artifacts: open the repository from its project, jump to
  // the last page, filter by a tag. Each is timed from the click (or the
  // last keystroke's debounce start) until the rows are on screen, three
  // times; the best run is the figure (the machine is shared with the rest
  // of the test suite), and every run is reported.
  const pages = Math.ceil(many / 15)
  for (const [i, tag] of ['v4321', 'v1234', 'v2718'].entries()) {
    await page.goto('/projects/library/repositories')
    const link = page.getByRole('link', { name: 'library/many', exact: true })
    await link.waitFor()
    await timed('repository_5000_first_page', async () => {
      await link.click()
      await page.getByText(new RegExp(`of ${many} \\(page 1 of`)).waitFor()
    })
    if (i === 0) await shot(page, '09-repository-5000')
    await timed('repository_5000_last_page', async () => {
      await page.getByRole('button', { name: 'Last page' }).click()
      await page.getByText(new RegExp(`of ${many} \\(page ${pages} of`)).waitFor()
    })
    await timed('repository_5000_tag_filter', async () => {
      await page.getByLabel('Filter artifacts by tag').fill(tag)
      await page.getByRole('table', { name: 'Artifacts' }).getByText(tag, { exact: true }).waitFor()
      await page.getByText('1 in all').waitFor()
    })
  }
  // A cold load (HTML, scripts, session, list), for the record.
  await page.goto('/')
  await timed('repository_5000_cold_load', async () => {
    await page.goto('/projects/library/repositories/many')
    await page.getByText(new RegExp(`of ${many} \\(page 1 of`)).waitFor()
  })

  // Dark mode and a phone-sized screen, with the same session.
  const dark = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark', baseURL: base, storageState: await ctx.storageState() })
  const phone = await dark.newPage()
  watch(phone)
  await phone.goto('/projects/team/repositories/hello')
  await phone.getByRole('table', { name: 'Artifacts' }).waitFor()
  const bg = await phone.evaluate(() => getComputedStyle(document.body).backgroundColor)
  expect(bg !== 'rgb(255, 255, 255)', 'dark background in dark mode, got ' + bg)
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  expect(overflow <= 1, `page wider than the screen by ${overflow}px`)
  await shot(phone, '10-repository-dark-narrow')
  await phone.goto('/')
  await phone.getByRole('link', { name: 'team', exact: true }).waitFor()
  await shot(phone, '11-projects-dark-narrow')
  await dark.close()

  // Log out: the session is gone.
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.waitForURL(/\/login/)
  const s = await page.request.get('/c/session')
  expect(s.status() === 401, 'no session after logout')

  expect(problems.length === 0, 'browser problems:\n' + problems.join('\n'))
  console.log('RESULT ' + JSON.stringify(result))
} finally {
  await browser.close()
}
process.exit(0)
