import { describe, expect, it } from 'vitest';
import { makeEngine, makeServer } from './support.js';

describe('the chat editor page', () => {
  it('is served at / with its module and stylesheet, under a same-origin CSP', async () => {
    const { app } = makeServer(makeEngine());
    const page = await app.request('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    for (const [asset, type] of [
      ['app.js', 'text/javascript; charset=utf-8'],
      ['api.js', 'text/javascript; charset=utf-8'],
      ['tree.js', 'text/javascript; charset=utf-8'],
      ['messages.js', 'text/javascript; charset=utf-8'],
      ['panel.js', 'text/javascript; charset=utf-8'],
      ['compare.js', 'text/javascript; charset=utf-8'],
      ['keyboard.js', 'text/javascript; charset=utf-8'],
      ['format.js', 'text/javascript; charset=utf-8'],
      ['style.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await app.request(`/chat-editor/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect((await res.text()).length).toBeGreaterThan(100);
    }
    expect(html).toContain('src="/chat-editor/app.js"');
    expect(html).toContain('href="/chat-editor/style.css"');
  });

  it('serves nothing but its own files', async () => {
    const { app } = makeServer(makeEngine());
    for (const path of ['/chat-editor/package.json', '/chat-editor/__proto__', '/chat-editor/..%2F..%2Fpackage.json', '/chat-editor/../../package.json', '/chat-editor/']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
  });

  it('can be switched off', async () => {
    const { app } = makeServer(makeEngine(), { page: false });
    expect((await app.request('/')).status).toBe(404);
  });
});
