import { basename } from 'node:path';
import type { ImageInput } from '../../engine/images.js';
import type { CommandSpec } from '../action.js';
import { imageArgument } from '../imageArgument.js';
import type { QualitySettings } from '../../quality/types.js';
import { UsageError } from '../UsageError.js';
import { sessionDoc, turnDoc } from '../../present/documents.js';
import { short, turnLines } from '../../present/lines.js';

interface NewInput {
  image: ImageInput | undefined;
  /** The image as typed, for the title and the message. */
  imageText: string | undefined;
  prompt: string | undefined;
  title: string;
  endpoint: string | undefined;
  budgetMicros: number | undefined;
  quality: QualitySettings;
}

/** `kontext new <image>` / `kontext new --prompt "<text>"`: starts a session and makes it current. */
export const newCommand: CommandSpec<NewInput> = {
  name: 'new',
  parse: ([image], options) => {
    const prompt = options.prompt as string | undefined;
    if ((image === undefined) === (prompt === undefined)) {
      throw new UsageError("give an image to start from ('kontext new photo.png') or a prompt ('kontext new --prompt \"a red bicycle\"'), not both");
    }
    const budget = options.budget as string | undefined;
    if (budget !== undefined && !/^\d+(\.\d{1,6})?$/.test(budget.trim())) {
      throw new UsageError(`--budget: ${JSON.stringify(budget)} is not allowed; allowed: an amount of dollars such as 2 or 0.50`);
    }
    const title = (options.title as string | undefined) ?? (image !== undefined ? basename(image.split('?')[0]!) : prompt!.trim().slice(0, 60));
    return {
      image: image === undefined ? undefined : imageArgument(image),
      imageText: image,
      prompt,
      title,
      endpoint: options.endpoint as string | undefined,
      budgetMicros: budget === undefined ? undefined : Math.round(Number(budget) * 1e6),
      quality: qualityOptions(options),
    };
  },
  run: async (ctx, input) => {
    const engine = await ctx.providerEngine();
    const session = await engine.startSession({
      ...(input.image !== undefined ? { image: input.image } : { prompt: input.prompt! }),
      title: input.title,
      endpoint: input.endpoint,
      budgetMicros: input.budgetMicros,
      quality: input.quality,
    });
    ctx.current.set(session.id);
    const root = await engine.getTurn(session.headTurnId!);
    const failed = root.status !== 'succeeded';
    return {
      data: { session: sessionDoc(session), root: turnDoc(root, ctx.address), current: session.id },
      text: [
        `session ${session.id}${session.title ? ` "${session.title}"` : ''} started ${input.imageText !== undefined ? `from ${input.imageText}` : 'from a prompt'}`,
        ...turnLines(root, ctx.address, ['HEAD -> main']),
        `now using session ${short(session.id)} (kontext use <session> to switch)`,
      ],
      failure: failed ? `the first image was not made: turn ${short(root.id)} ${root.status}${root.errorCode ? ` (${root.errorCode}: ${root.errorMessage})` : ''}` : undefined,
    };
  },
};

/** The quality flags of `new`; the engine checks their ranges and names the field when one is off. */
function qualityOptions(options: Record<string, unknown>): QualitySettings {
  const quality: QualitySettings = {};
  if (options.pinAspect === false) quality.pinAspect = false;
  if (options.resizeToSource === true) quality.resizeToSource = true;
  if (options.preserveRegions === true) quality.preserveRegions = true;
  for (const [flag, key] of [['warnSsim', 'warnSsimBelow'], ['warnDeltaE', 'warnDeltaEAbove']] as const) {
    const text = options[flag] as string | undefined;
    if (text === undefined) continue;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag === 'warnSsim' ? 'warn-ssim' : 'warn-delta-e'}: ${JSON.stringify(text)} is not a number`);
    quality[key] = value;
  }
  return quality;
}
