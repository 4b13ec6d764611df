import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { selfcheck as runSelfcheck } from '../../engine/selfcheck.js';

export const selfcheck: Command = {
  name: 'selfcheck',
  summary: 'ORT version and providers, then a gradient check on a tiny transformer',
  usage: 'selfcheck',
  async run(argv) {
    parseFlags(argv, {}, 0);
    const rt = Runtime.start();
    try {
      const info = await rt.info();
      console.log(`onnxruntime-node ${info.ortVersion}`);
      console.log(`execution providers: ${info.providers.join(', ')}${info.providers.includes('cuda') ? '' : ' (CUDA: not installed; see README)'}`);
      const r = await runSelfcheck(rt);
      console.log(`${r.detail} [${r.ms.toFixed(0)} ms]`);
      console.log(r.ok ? 'selfcheck: PASS' : `selfcheck: FAIL ${r.detail}`);
      return r.ok ? 0 : 1;
    } catch (e) {
      console.log(`selfcheck: FAIL ${(e as Error).message}`);
      return 1;
    } finally {
      await rt.close();
    }
  },
};
