// zh-CN and en must have the same keys, every key the code names must exist, and every value of
// the schema enums the UI shows (enum.<Name>.<VALUE>) must be translated. Run by `npm run build`.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const load = (name) => JSON.parse(readFileSync(join(root, 'src', 'i18n', name), 'utf8'))
const flatten = (object, prefix = '') =>
  Object.entries(object).flatMap(([key, value]) =>
    typeof value === 'object' ? flatten(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  )
const locales = { 'zh-CN': load('zh-CN.json'), en: load('en.json') }
const keys = Object.fromEntries(Object.entries(locales).map(([name, m]) => [name, new Set(flatten(m))]))
const problems = []
for (const [a, b] of [['zh-CN', 'en'], ['en', 'zh-CN']]) {
  for (const key of keys[a]) if (!keys[b].has(key)) problems.push(`${key}: in ${a}, missing in ${b}`)
}
for (const [name, m] of Object.entries(locales)) {
  for (const key of keys[name]) {
    const value = key.split('.').reduce((o, k) => o[k], m)
    if (!String(value).trim()) problems.push(`${key}: empty in ${name}`)
  }
}

// Keys named in the code: t('a.b'), $t('a.b') and route/tool literals like 'nav.home'.
const namespaces = new Set(Object.keys(locales['zh-CN']))
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name !== 'generated') walk(path)
    } else if (/\.(ts|vue)$/.test(name)) files.push(path)
  }
}
walk(join(root, 'src'))
const enumsUsed = new Set()
for (const file of files) {
  const text = readFileSync(file, 'utf8')
  for (const match of text.matchAll(/(?:\$?\bt\(|title: |key: )['"`]([a-zA-Z]+(?:\.[a-zA-Z0-9]+)+)['"`]/g)) {
    const key = match[1]
    if (!namespaces.has(key.split('.')[0])) continue
    if (!keys['zh-CN'].has(key)) problems.push(`${key}: used in ${file.slice(root.length + 1)}, not translated`)
  }
  // Dynamic enum keys: t(`enum.Name.${...}`) needs every value of the schema enum.
  for (const match of text.matchAll(/enum\.([A-Za-z]+)\.\$\{/g)) enumsUsed.add(match[1])
}
const schema = readFileSync(join(root, '..', 'schema.graphql'), 'utf8')
const enums = Object.fromEntries(
  [...schema.matchAll(/enum (\w+) \{([^}]*)\}/g)].map((m) => [m[1], m[2].split('\n').map((l) => l.trim()).filter((l) => /^[A-Z_]+$/.test(l))]),
)
for (const name of Object.keys(locales['zh-CN'].enum)) {
  if (!enums[name]) problems.push(`enum.${name}: not an enum of schema.graphql`)
  else for (const value of enums[name]) if (!keys['zh-CN'].has(`enum.${name}.${value}`)) problems.push(`enum.${name}.${value}: not translated`)
}
for (const name of enumsUsed) if (!locales['zh-CN'].enum[name]) problems.push(`enum.${name}: used but not translated`)
for (let d = 1; d <= 7; d++) if (!keys['zh-CN'].has(`weekday.${d}`)) problems.push(`weekday.${d}: missing`)

if (problems.length) {
  console.error(`i18n: ${problems.length} problem(s)\n` + problems.join('\n'))
  process.exit(1)
}
console.log(`i18n: ${keys['zh-CN'].size} keys in zh-CN and en, all used keys present`)
