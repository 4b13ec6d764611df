#!/usr/bin/python3
"""Single timed runs of the PyTorch reference, on request, for `npm run bench -- engine-vs-torch --interleave`.

Usage: peer-serve.py path/to/torch_gpt.py

The model, its seeded weights and inputs, the thread count and the two timed functions are those of
the reference's main(): the GPT class and constants are imported from the given file, and the
set-up below repeats main()'s lines. Only the loop differs. The reference times 5 runs in a row; this
times one run per request, so that the engine's runs can be interleaved with PyTorch's run by run
(this machine class is shared and its speed drifts over seconds).

Protocol: prints `ready {json}` once set up. Then, for each line `fwd` or `grad` on stdin, it runs
that function once and prints the milliseconds it took (time.perf_counter, as the reference times).
"""
import importlib.util
import json
import sys
import time

spec = importlib.util.spec_from_file_location("torch_gpt", sys.argv[1])
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
import torch  # noqa: E402  (after the reference, which imports it first)

torch.set_num_threads(ref.THREADS)
torch.manual_seed(0)
model = ref.GPT().eval()
for p in model.parameters():
    p.requires_grad_(False)
bias = torch.zeros(ref.D_MODEL, requires_grad=True)
idx = torch.randint(0, ref.VOCAB, (ref.BATCH, ref.SEQ))
tgt = torch.randint(0, ref.VOCAB, (ref.BATCH, ref.SEQ))


def fwd():
    with torch.no_grad():
        return model(idx, tgt, bias)


def fwd_bwd():
    bias.grad = None
    loss = model(idx, tgt, bias)
    loss.backward()
    return loss


RUNS = {"fwd": fwd, "grad": fwd_bwd}
print("ready " + json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "loss": fwd().item()}), flush=True)
for line in sys.stdin:
    f = RUNS.get(line.strip())
    if f is None:
        print(f"error: unknown request {line.strip()!r} (fwd or grad)", flush=True)
        continue
    t0 = time.perf_counter()
    f()
    print(f"{(time.perf_counter() - t0) * 1e3:.3f}", flush=True)
