/** Which ORT execution providers are usable here, and how to get CUDA when it is not. */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const requireCjs = createRequire(import.meta.url);

function ortBinDir(): string | null {
  try {
    const pkg = dirname(requireCjs.resolve('onnxruntime-node/package.json'));
    const dir = join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : null;
  } catch {
    return null;
  }
}

/** 'cpu' always; 'cuda' when the CUDA provider library was installed next to the ORT binding. */
export function providersAvailable(): string[] {
  const out = ['cpu'];
  const dir = ortBinDir();
  if (dir && readdirSync(dir).some((f) => /onnxruntime_providers_cuda/.test(f))) out.push('cuda');
  return out;
}

export function cudaHelp(): string {
  return (
    'The CUDA execution provider is not installed. onnxruntime-node ships CPU only unless asked: ' +
    'on a machine with CUDA 12 and network access run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` ' +
    '(or `npm install` with that variable set), then restart. Meanwhile run on the CPU: a job\'s params take `"ep": "cpu"` (the default).'
  );
}
