#!/usr/bin/env python3
"""Where generation time goes, from a JFR recording of `kiln bench` (bench/profile.sh makes one).

Steady state only: the execution and allocation samples in the second half of the window in which the forward pass
runs (the first half holds the JIT warm-up, when vectors are still boxed by the interpreter and C1). Prints the top
frames, the split between the dot kernels and everything else, and the bytes allocated per steady-state second.
Usage: bench/jfr_summary.py RECORDING.jfr [TOP]"""
import collections
import datetime
import json
import subprocess
import sys

KERNELS = ('KQuantDots.', 'VectorKernels.dotQ', 'VectorKernels.dotF32', 'VectorKernels.dotBf16', 'IqkDots.',
           'GridLevels.', 'TrellisLevels.', 'InterleavedKernel.', 'KQuantR4Kernel.', 'Q6KR4Kernel.', 'Q50R4Kernel.', 'Q80R8Kernel.', 'TypeKernels')


def frames(event):
    st = event['values'].get('stackTrace')
    if not st:
        return []
    return [f['method']['type']['name'].split('/')[-1] + '.' + f['method']['name'] for f in st['frames']]


def when(event):
    return datetime.datetime.fromisoformat(event['values']['startTime'].replace('Z', '+00:00')).timestamp()


def main():
    path, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15
    out = subprocess.run(['jfr', 'print', '--json', '--stack-depth', '24', '--events',
                          'jdk.ExecutionSample,jdk.ObjectAllocationSample', path], capture_output=True, text=True, check=True)
    events = json.loads(out.stdout)['recording']['events']
    samples = [(when(e), frames(e)) for e in events if e['type'] == 'jdk.ExecutionSample']
    forward = [t for t, f in samples if any('forwardBatch' in x for x in f)]
    if not forward:
        sys.exit(path + ': no samples in a forward pass')
    start, end = min(forward), max(forward)
    middle = (start + end) / 2
    steady = [f for t, f in samples if t >= middle and f]
    n = len(steady)
    print(f'{n} steady-state samples over {end - middle:.1f} s')
    for name, count in collections.Counter(f[0] for f in steady).most_common(top):
        print(f'{100 * count / n:5.1f}%  {name}')
    # a sample is in a kernel when a kernel frame (or a TypeKernels lambda, 0x….dot) is above the row loop
    split = collections.Counter()
    for f in steady:
        above = f[:f.index('VectorKernels.matmulRows')] if 'VectorKernels.matmulRows' in f else f
        split['dot kernels' if any(x.startswith(KERNELS) or x.startswith('0x') and x.endswith('.dot') for x in above) else f[0]] += 1
    print('--- dot kernels against the rest (top frame)')
    for name, count in split.most_common(top):
        print(f'{100 * count / n:5.1f}%  {name}')
    allocated = sum(e['values']['weight'] for e in events if e['type'] == 'jdk.ObjectAllocationSample' and when(e) >= middle)
    print(f'allocated in the steady state: {allocated / 1e6:.2f} MB ({allocated / max(end - middle, 1e-9) / 1e6:.2f} MB/s)')


if __name__ == '__main__':
    main()
