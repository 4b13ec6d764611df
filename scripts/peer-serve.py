#!/usr/bin/python3
"""Single timed runs of the PyTorch reference, on request, for `npm run bench -- engine-vs-torch --interleave`.

Usage: peer-serve.py path/to/torch_gpt.py
       peer-serve.py --blas-info     (prints the BLAS that torch loaded, as JSON, and exits)

The model, its seeded weights and inputs, the thread count and the two timed functions are those of
the reference's main(): the GPT class and constants are imported from the given file, and the
set-up below repeats main()'s lines. Only the loop differs. The reference times 5 runs in a row; this
times one run per request, so that the engine's runs can be interleaved with PyTorch's run by run
(this machine class is shared and its speed drifts over seconds).

Protocol: prints `ready {json}` once set up. Then, for each line `fwd` or `grad` on stdin, it runs
that function once and prints the milliseconds it took (time.perf_counter, as the reference times).
"""
import ctypes
import importlib.util
import json
import os
import sys
import time


def blas_info():
    """The OpenBLAS that this process loaded: its kernel (core) name and build config, and the
    OPENBLAS_* variables it saw. Debian's torch multiplies through the system libblas.so.3, which
    update-alternatives points at OpenBLAS (setup-peers.sh); OPENBLAS_CORETYPE, where set, overrides
    the kernel that OpenBLAS would pick for this CPU."""
    env = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")}
    libs = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split()
            if len(parts) >= 6 and parts[5].startswith("/") and "blas" in os.path.basename(parts[5]) and parts[5] not in libs:
                libs.append(parts[5])
    for lib in libs:
        try:
            handle = ctypes.CDLL(lib)
            corename, config = handle.openblas_get_corename, handle.openblas_get_config
        except (OSError, AttributeError):
            continue  # not OpenBLAS (e.g. the reference BLAS): try the next
        corename.restype = config.restype = ctypes.c_char_p
        return {"lib": lib, "corename": corename().decode(), "config": config().decode(), "env": env}
    return {"lib": libs[0] if libs else None, "corename": None, "config": None, "env": env}


if sys.argv[1:] == ["--blas-info"]:
    try:
        import torch  # noqa: F401  (loads the BLAS it multiplies with)
    except ImportError as e:
        print(json.dumps({"error": f"cannot import torch: {e}"}))
        sys.exit(1)
    print(json.dumps(blas_info()))
    sys.exit(0)

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
