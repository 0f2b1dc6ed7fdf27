/** Width and height of an image, in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * A turn's sizes: what went in, what came out, and what the engine asked for. `mismatch` is
 * true when the provider returned another aspect ratio than the session's (the source's).
 */
export interface TurnSizes {
  input: ImageSize | null;
  /** The provider's output (the selected candidate), before any resize back. */
  output: ImageSize | null;
  /** The session's size: its root image's. */
  source: ImageSize | null;
  /** The `aspect_ratio` the engine sent to keep the source's shape, if it added one. */
  pinnedAspectRatio: string | null;
  mismatch: boolean;
  /** Whether the kept output was resized back to the source size. */
  resizedToSource: boolean;
}

/** How far one image has moved from another, outside the region an edit changed. */
export interface DriftFigures {
  /** SSIM of luminance over the area the edit left alone: 1 is unchanged. */
  ssim: number;
  /** Mean CIE76 colour difference (ΔE in Lab) over that area: 0 is unchanged, ~2.3 just noticeable. */
  deltaE: number;
  /** Share of the picture counted as edited (left out of both figures), 0 to 1. */
  editedFraction: number;
  /** Size of the reference and of the measured image. */
  from: ImageSize;
  to: ImageSize;
}

/** A succeeded turn's drift against its parent's image and against the session's root image. */
export interface TurnDrift {
  parent: DriftFigures | null;
  root: DriftFigures | null;
}

/**
 * A session's edit-quality settings. Defaults: keep the aspect ratio, do not resize, warn when
 * drift from the root passes SSIM 0.9 or ΔE 5.
 */
export interface QualitySettings {
  /** Send the nearest allowed aspect_ratio to keep the source's shape when none is given. Default true. */
  pinAspect?: boolean;
  /** Resize outputs back to the source size (the raw output is kept as another candidate). Default false. */
  resizeToSource?: boolean;
  /** Keep the parent's pixels wherever an edit did not change the picture (raw output kept as another candidate). Default false. */
  preserveRegions?: boolean;
  /** Warn when a turn's drift from the root has SSIM below this. Default 0.9. */
  warnSsimBelow?: number;
  /** Warn when a turn's drift from the root has ΔE above this. Default 5. */
  warnDeltaEAbove?: number;
}

/** A turn's own quality choices, overriding the session's. */
export interface TurnQualityOptions {
  preserveRegions?: boolean;
}
