import { createHash } from 'node:crypto';

/** One image the local provider handed out. */
export interface StoredImage {
  contentType: string;
  bytes: Buffer;
  /** sha256 (hex) of `bytes`, once someone needed it (see `sha256Of`). */
  sha256?: string;
}

/** The sha256 (hex) of a held image, computed once however many jobs name it. */
export function sha256Of(image: StoredImage): string {
  image.sha256 ??= createHash('sha256').update(image.bytes).digest('hex');
  return image.sha256;
}

/** Scheme of the URLs the local provider hands out: `local://<requestId>/<index>.<ext>`. */
export const LOCAL_URL_SCHEME = 'local:';

/** The URL of candidate `index` of job `requestId`. */
export function localImageUrl(requestId: string, index: number, extension: string): string {
  return `local://${requestId}/${index}.${extension}`;
}

/** The URL an input image is held under (`prepareImage`), named by its content. */
export function heldInputUrl(sha256: string, contentType: string): string {
  return `local://input/${sha256}.${contentType.slice(contentType.indexOf('/') + 1)}`;
}

/**
 * The images behind `local://` URLs (outputs, and inputs the engine handed over), in memory,
 * least recently used dropped first once the total passes `maxBytes`. Losing one is harmless:
 * the engine archives outputs as soon as a job completes, sends an input again when its URL is
 * gone, and a job can be recomputed from its handle and the archived input image.
 */
export class OutputStore {
  private readonly images = new Map<string, StoredImage>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(url: string): StoredImage | undefined {
    const image = this.images.get(url);
    if (image) {
      // Map order is insertion order: re-inserting marks it as the most recently used.
      this.images.delete(url);
      this.images.set(url, image);
    }
    return image;
  }

  has(url: string): boolean {
    return this.images.has(url);
  }

  /** Stores `image` under `url`. The newest image is kept even when it alone passes the limit. */
  set(url: string, image: StoredImage): void {
    const previous = this.images.get(url);
    if (previous) {
      this.images.delete(url);
      this.bytes -= previous.bytes.byteLength;
    }
    this.images.set(url, image);
    this.bytes += image.bytes.byteLength;
    for (const [oldest, old] of this.images) {
      if (this.bytes <= this.maxBytes || oldest === url) break;
      this.images.delete(oldest);
      this.bytes -= old.bytes.byteLength;
    }
  }

  get size(): number {
    return this.images.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }
}
