// Summarises one JSON result file of the HTTP caching test suite (http-cache-tests) the way
// cache-tests.fyi grades it: `node summary.mjs SUITE_DIR RESULTS.json NAME` prints
//   cache-tests NAME: N passed, M failed
// where "passed" counts the tests whose result is a pass (required and optimal tests), and
// "failed" the required tests that did not pass: a conformance failure, a failed set-up or a
// failed dependency. Then one line with the rest: optimal tests not met (a cache may decline
// to store), and the informational checks answered yes or no.
import { pathToFileURL } from 'url'
import { readFileSync } from 'fs'
import { join } from 'path'

const [suiteDir, resultsFile, name] = process.argv.slice(2)
const load = file => import(pathToFileURL(join(suiteDir, file)).href)
const { default: tests } = await load('tests/index.mjs')
const { default: surrogate } = await load('tests/surrogate-control.mjs')
const { determineTestResult } = await load('lib/display.mjs')
tests.push(surrogate)
const results = JSON.parse(readFileSync(resultsFile, 'utf8'))

const counts = { passed: 0, failed: 0, optional: 0, yes: 0, no: 0, untested: 0 }
const failures = []
for (const suite of tests) {
  for (const test of suite.tests) {
    const symbol = determineTestResult(tests, test.id, results)[2]
    const kind = test.kind || 'required'
    if (symbol === '✅') counts.passed++
    else if (symbol === 'Y') counts.yes++
    else if (symbol === 'N') counts.no++
    else if (symbol === '-') counts.untested++
    else if (symbol === '⚠️') counts.optional++
    else if (kind === 'optimal') counts.optional++
    else if (kind === 'check') counts.no++
    else {
      counts.failed++
      failures.push(`${symbol} ${test.id}`)
    }
  }
}
console.log(`cache-tests ${name}: ${counts.passed} passed, ${counts.failed} failed`)
console.log(`  (${counts.optional} optimal not met, checks ${counts.yes} yes / ${counts.no} no, ${counts.untested} not run)`)
if (process.env.CACHE_TESTS_LIST_FAILURES === '1') {
  for (const f of failures) console.log(`  ${f}`)
}
