// What a single-executable build (scripts/dist.mjs) embeds, as the build
// wrote it into the bundle. Outside such a build there is no manifest.

export type NativeAddonName = 'pty' | 'tsv_native';

export interface EmbeddedAddon {
  /** hex sha256 of the stripped .node file */
  sha256: string;
  size: number;
  /** key of the SEA asset holding the bytes (Node >= 20.12) */
  asset?: string;
  /** the bytes in base64, for Node versions without SEA assets (20.11 on armv7l) */
  inline?: string;
}

export interface DistManifest {
  /** the architecture the binary was built for: x64, arm64, armv7l */
  arch: string;
  /** the Node version embedded in the binary */
  node: string;
  addons: Partial<Record<NativeAddonName, EmbeddedAddon>>;
  /**
   * initscripts/<file>.mustache → its text, for Node versions without SEA
   * assets (20.11 on armv7l); newer builds carry them as assets of those names.
   */
  templates?: Record<string, string>;
}

// Replaced by the dist build (esbuild define); absent in `npm run build`.
declare const TSV_DIST_MANIFEST: DistManifest | undefined;

export const distManifest: DistManifest | null = typeof TSV_DIST_MANIFEST === 'object' ? TSV_DIST_MANIFEST : null;
