import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3_TEST_CREDENTIALS, startS3TestServer, type S3TestServer } from '../support/s3TestServer.js';
import { cliEnv, requireBuiltCli, workspace, type TurnDoc } from './support/cli.js';

beforeAll(requireBuiltCli);

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3TestServer('kontext-cli');
});
afterAll(async () => s3?.close());

describe('KONTEXT_BLOBS=s3://bucket/prefix', () => {
  it('archives every image in the bucket, keeps no local archive, and shows images by their kontext:// address', async () => {
    const ws = await workspace();
    try {
      const env = cliEnv({
        KONTEXT_BLOBS: `s3://${s3.bucket}/team-a`,
        KONTEXT_S3_ENDPOINT: s3.endpoint,
        AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
      });
      await ws.json(['new', ws.image], 0, env);
      const { turn } = await ws.json<{ turn: TurnDoc }>(['edit', 'make it red', '--seed', '1'], 0, env);
      expect(turn.status).toBe('succeeded');
      expect(turn.image).toBe(`kontext://images/${turn.outputs[0]!.hash}`);
      const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_TEST_CREDENTIALS });
      try {
        const keys = ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? []).map((o) => o.Key);
        expect(keys).toContain(`team-a/blobs/${turn.outputs[0]!.hash.slice(0, 2)}/${turn.outputs[0]!.hash}`);
        expect(keys).toContain(`team-a/blobs/${turn.inputBlob!.slice(0, 2)}/${turn.inputBlob}`);
      } finally {
        client.destroy();
      }
      expect(existsSync(join(ws.dir, 'data', 'blobs'))).toBe(false);
      // The next edit reads its input back from the bucket.
      const next = await ws.json<{ turn: TurnDoc }>(['edit', 'make it night', '--seed', '2'], 0, env);
      expect(next.turn).toMatchObject({ status: 'succeeded', inputBlob: turn.outputs[0]!.hash });
    } finally {
      await ws.remove();
    }
  }, 60_000);

  it('a malformed KONTEXT_BLOBS or missing credentials is a usage error naming the variable, with nothing written', async () => {
    const ws = await workspace();
    try {
      const bad = await ws.run(['new', ws.image], cliEnv({ KONTEXT_BLOBS: 'ftp://nope' }));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('KONTEXT_BLOBS');
      const noKeys = await ws.run(['new', ws.image], cliEnv({ KONTEXT_BLOBS: `s3://${s3.bucket}/x`, KONTEXT_S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }));
      expect(noKeys.code).toBe(2);
      expect(noKeys.stderr).toContain('AWS_SECRET_ACCESS_KEY');
      expect((await ws.json<{ sessions: unknown[] }>(['sessions'])).sessions).toEqual([]);
    } finally {
      await ws.remove();
    }
  }, 60_000);
});
