import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionEngine } from '../../src/engine/SessionEngine.js';
import type { Turn } from '../../src/model/index.js';
import { formatMicros } from '../../src/format/logGraph.js';

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'image/avif': 'avif' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Writes `<outDir>/index.html`: the session's tree as nested lists, each turn with its
 * archived image(s), prompt, seed and cost. Images are copied out of the archive beside it,
 * so the page opens straight from disk.
 */
export async function writeContactSheet(engine: SessionEngine, sessionId: string, outDir: string): Promise<string> {
  const { session, turns, branches: refs } = await engine.tree(sessionId);
  const imageDir = join(outDir, 'images');
  mkdirSync(imageDir, { recursive: true });
  const children = new Map<string | null, Turn[]>();
  for (const t of turns) children.set(t.parentId, [...(children.get(t.parentId) ?? []), t]);
  const labels = new Map<string, string[]>();
  for (const r of refs) labels.set(r.turnId, [...(labels.get(r.turnId) ?? []), r.name]);
  if (session.headTurnId) labels.set(session.headTurnId, ['HEAD', ...(labels.get(session.headTurnId) ?? [])]);

  const render = async (turn: Turn): Promise<string> => {
    const images: string[] = [];
    for (const output of turn.outputs) {
      const file = `${output.blobHash.slice(0, 16)}.${EXTENSIONS[output.contentType] ?? 'img'}`;
      writeFileSync(join(imageDir, file), await engine.blobs.get(output.blobHash));
      const picked = output.index === turn.selectedOutput ? ' class="picked"' : '';
      images.push(`<img${picked} src="images/${file}" width="192" alt="">`);
    }
    const title = turn.kind === 'source' ? 'source image' : escapeHtml(turn.prompt ?? '');
    const facts = [turn.id.slice(0, 8), turn.seedUsed !== null ? `seed ${turn.seedUsed}` : '', turn.kind === 'source' ? '' : formatMicros(turn.costMicros), turn.originKind ?? '', turn.status === 'succeeded' ? '' : turn.status]
      .filter(Boolean)
      .join(' · ');
    const tags = (labels.get(turn.id) ?? []).map((l) => `<span class="ref">${escapeHtml(l)}</span>`).join(' ');
    const kids = await Promise.all((children.get(turn.id) ?? []).map(render));
    return `<li><figure>${images.join('')}<figcaption><b>${title}</b> ${tags}<br><small>${facts}</small></figcaption></figure>${kids.length ? `<ul>${kids.join('')}</ul>` : ''}</li>`;
  };
  const roots = await Promise.all((children.get(null) ?? []).map(render));
  const html = `<!doctype html><meta charset="utf-8"><title>${escapeHtml(session.title || session.id)} — kontext-sessions</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;background:#fafafa}ul{list-style:none;padding-left:2em;border-left:2px solid #ddd}
figure{margin:.5em 0;display:inline-block;background:#fff;padding:.5em;border:1px solid #ddd;border-radius:6px}img{margin-right:4px;border-radius:4px}
img.picked{outline:3px solid #4a8}.ref{background:#e8f0ff;border-radius:3px;padding:0 4px;font-size:12px}</style>
<h1>${escapeHtml(session.title || session.id)}</h1><p>Session <code>${session.id}</code> · ${turns.length} turns · images are archived copies (sha256)</p>
<ul>${roots.join('')}</ul>`;
  const file = join(outDir, 'index.html');
  writeFileSync(file, html);
  return file;
}
