import { onBeforeUnmount, reactive, ref, type Ref } from 'vue'
import { ApiError, type UserError } from '@/api/client'
import { currentLocale } from '@/i18n'

export const ZONE = 'Asia/Shanghai'

/** A timestamp shown in Asia/Shanghai, in the user's language. */
export function dt(value: string | null | undefined): string {
  if (!value) return '—'
  return new Intl.DateTimeFormat(currentLocale() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(value))
}

export function time(value: string | null | undefined): string {
  if (!value) return '—'
  return new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' }).format(new Date(value))
}

/** Local (Asia/Shanghai) parts of a moment: `YYYY-MM-DD`, `HH:MM:SS`. */
export function localParts(moment: Date): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(moment)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00'
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}:${get('second')}` }
}

/** A `datetime-local` value (Asia/Shanghai) for a moment. */
export function toLocalInput(moment: Date): string {
  const p = localParts(moment)
  return `${p.date}T${p.time}`
}

/** A `datetime-local` value read as Asia/Shanghai (UTC+8, no DST) → ISO with offset. */
export function fromLocalInput(value: string): string {
  const withSeconds = value.length === 16 ? `${value}:00` : value
  return `${withSeconds}+08:00`
}

export function today(offsetDays = 0): string {
  return localParts(new Date(Date.now() + offsetDays * 86400000)).date
}

export function thisMonth(): string {
  return today().slice(0, 7)
}

export function idempotencyKey(): string {
  return crypto.randomUUID()
}

export function percent(value: number | null | undefined): string {
  return value == null ? '—' : `${Math.round(value * 1000) / 10}%`
}

/**
 * A form's typed errors: `errors[field]` next to the input at fault, `general` for the rest.
 * `run` calls a mutation and returns its payload only when it has no errors.
 */
export function useForm() {
  const errors = reactive<Record<string, string>>({})
  const general = ref('')
  const busy = ref(false)
  function clear(): void {
    for (const key of Object.keys(errors)) delete errors[key]
    general.value = ''
  }
  async function run<P extends { errors: UserError[] }>(
    call: () => Promise<P>,
    fields: string[] = [],
  ): Promise<P | null> {
    clear()
    busy.value = true
    try {
      const payload = await call()
      if (payload.errors.length === 0) return payload
      for (const error of payload.errors) {
        if (error.field && fields.includes(error.field)) errors[error.field] = error.message
        else general.value = general.value ? `${general.value} ${error.message}` : error.message
      }
      return null
    } catch (error) {
      general.value = error instanceof Error ? error.message : String(error)
      return null
    } finally {
      busy.value = false
    }
  }
  return { errors, general, busy, run, clear }
}

type Page<N> = { nodes: N[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } }

/** A paginated list (connections: first/after, pageInfo) with loading and error states. */
export function usePaged<N>(fetchPage: (after: string | null) => Promise<Page<N>>) {
  const items = ref([]) as Ref<N[]>
  const loading = ref(false)
  const loaded = ref(false)
  const hasMore = ref(false)
  const error = ref('')
  let cursor: string | null = null
  async function load(reset = false): Promise<void> {
    if (reset) {
      cursor = null
    }
    loading.value = true
    error.value = ''
    try {
      const page = await fetchPage(cursor)
      items.value = reset ? page.nodes : [...items.value, ...page.nodes]
      cursor = page.pageInfo.endCursor ?? null
      hasMore.value = page.pageInfo.hasNextPage
    } catch (e) {
      error.value = e instanceof ApiError || e instanceof Error ? e.message : String(e)
    } finally {
      loading.value = false
      loaded.value = true
    }
  }
  return { items, loading, loaded, hasMore, error, load, reload: () => load(true), more: () => load(false) }
}

/** A one-shot query with loading and error states. */
export function useQuery<T>(fetcher: () => Promise<T>) {
  const data = ref(null) as Ref<T | null>
  const loading = ref(false)
  const error = ref('')
  async function load(): Promise<void> {
    loading.value = true
    error.value = ''
    try {
      data.value = await fetcher()
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      loading.value = false
    }
  }
  return { data, loading, error, load }
}

/** The resend countdown of an SMS code: the server says how long until another may be asked for. */
export function useCountdown() {
  const seconds = ref(0)
  let timer: ReturnType<typeof setInterval> | undefined
  function start(wait: number): void {
    seconds.value = wait
    if (timer) clearInterval(timer)
    timer = setInterval(() => {
      seconds.value -= 1
      if (seconds.value <= 0 && timer) {
        clearInterval(timer)
        timer = undefined
      }
    }, 1000)
  }
  onBeforeUnmount(() => timer && clearInterval(timer))
  return { seconds, start }
}
