// A small fetch-based GraphQL client: Bearer token, Accept-Language from the current locale.
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core'
import { currentLocale } from '@/i18n'
import { session, signedOut } from '@/session'

export type UserError = { code: string; message: string; field?: string | null }

/** A top-level GraphQL error (query fields raise typed codes in `extensions.code`). */
export class ApiError extends Error {
  constructor(
    message: string,
    public code: string | null,
  ) {
    super(message)
  }
}

type Document<R, V> = DocumentTypeDecoration<R, V> & { toString(): string }

export function headers(): Record<string, string> {
  const result: Record<string, string> = { 'accept-language': currentLocale() }
  if (session.token) result.authorization = `Bearer ${session.token}`
  return result
}

export async function gql<R, V>(document: Document<R, V>, variables?: V): Promise<R> {
  let response: Response
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers() },
      body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
    })
  } catch {
    throw new ApiError(currentLocale() === 'en' ? 'Network error' : '网络错误', 'NETWORK')
  }
  const body = (await response.json()) as {
    data?: R
    errors?: { message: string; extensions?: { code?: string } }[]
  }
  if (body.errors && body.errors.length > 0) {
    const first = body.errors[0]
    const code = first.extensions?.code ?? null
    if (code === 'UNAUTHENTICATED') signedOut()
    throw new ApiError(first.message, code)
  }
  return body.data as R
}

/** POST /photos: the image as the raw body; returns the photo's global id. */
export async function uploadPhoto(file: Blob): Promise<{ id?: string; error?: UserError }> {
  const response = await fetch('/photos', {
    method: 'POST',
    headers: { 'content-type': file.type || 'application/octet-stream', ...headers() },
    body: file,
  })
  const body = (await response.json()) as { id?: string; errors?: UserError[] }
  if (!response.ok) return { error: body.errors?.[0] ?? { code: 'UPLOAD', message: String(response.status) } }
  return { id: body.id }
}

/** GET /photos/{id} needs the Bearer token, so the image is fetched and shown as a blob URL. */
export async function photoUrl(url: string): Promise<string | null> {
  const response = await fetch(url, { headers: headers() })
  if (!response.ok) return null
  return URL.createObjectURL(await response.blob())
}

/** Download a file that needs the Bearer token (CSV, PDF): fetched, then saved by the browser. */
export async function download(url: string, filename: string): Promise<string | null> {
  const response = await fetch(url, { headers: headers() })
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { errors?: UserError[] } | null
    return body?.errors?.[0]?.message ?? String(response.status)
  }
  const link = document.createElement('a')
  link.href = URL.createObjectURL(await response.blob())
  link.download = filename
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
  return null
}
