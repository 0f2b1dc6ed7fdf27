/** Whether a `--db` / KONTEXT_DATABASE_URL value names PostgreSQL rather than a SQLite file. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * The URL as it may be shown: the password replaced by `***` (the user, host and database
 * stay, so a log still says where it connected). Text that does not parse as a URL is
 * cut to its scheme, since whatever follows may hold the password.
 */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return `${url.split(':')[0] ?? 'postgres'}://***`;
  }
}

/** `text` with every occurrence of the URL's password (raw and percent-encoded) replaced by `***`. */
export function redactPassword(text: string, url: string): string {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return text.split(url).join(redactDatabaseUrl(url));
  }
  if (password === '') return text;
  let out = text.split(url).join(redactDatabaseUrl(url));
  for (const form of new Set([password, decodeURIComponent(password)])) if (form.length > 0) out = out.split(form).join('***');
  return out;
}
