import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in tests/support/, or dist/tests/support/ once built). */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above tests/support)');
    dir = up;
  }
  return dir;
})();

/**
 * Path inside ../shared (the models, the ONNX conformance data and the docs), resolved from the repo root.
 * Fails with a clear message when the folder is missing, rather than letting each test fail obscurely.
 */
export function sharedPath(...parts: string[]): string {
  const root = resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(root)) {
    throw new Error(`../shared is missing: expected the shared models and ONNX conformance data at ${root}`);
  }
  return join(root, ...parts);
}

export const SHARED_MODELS = ['mobilenet_v2', 'resnet18', 'squeezenet1_1', 'tiny_encoder'] as const;
export const modelPath = (name: (typeof SHARED_MODELS)[number]): string => sharedPath('models', `${name}.onnx`);
