#!/usr/bin/env python3
"""bench/callgrind.py -- instructions the bus spends per call, under callgrind.

Call rates on a shared 2-core VM move by tens of percent between runs; the
instruction count of the same work does not. This runs bulkhead-bus under
`valgrind --tool=callgrind` with collection off, sets up the scene (echo
service, optional match rules, optional policy rules), switches collection on,
runs COUNT calls with bh-load and prints the instructions per call. The
profile stays in OUT.cg for callgrind_annotate (by default
bench/results/callgrind-YYYYMMDD-HHMMSS.cg, ignored by git); the tools it
compiles go to a temp dir that is removed, even when the run fails.

  python3 bench/callgrind.py --build build-perf [--calls 8000] [--queue 10]
                             [--rules N] [--matches N] [--out /tmp/bh]

Compare two scenes with the same --calls (e.g. --rules 0 and --rules 1000):
the difference is what the rules cost. Slow (valgrind): keep --calls small.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', default=os.path.join(bench.SRC, 'build'))
    ap.add_argument('--calls', type=int, default=8000)
    ap.add_argument('--queue', type=int, default=10)
    ap.add_argument('--rules', type=int, default=0, help='policy rules that never match')
    ap.add_argument('--matches', type=int, default=0, help='match rules on another connection')
    ap.add_argument('--out', default=None, help='profile path prefix (default: bench/results/callgrind-DATE-TIME)')
    args = ap.parse_args()
    if not shutil.which('valgrind'):
        sys.exit('callgrind: valgrind is not installed')
    out = (args.out or default_out()) + '.cg'
    tmp = tempfile.mkdtemp(prefix='bh-callgrind-')
    try:
        profile(args, tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = subprocess.run(['callgrind_annotate', out], capture_output=True, text=True).stdout
    m = re.search(r'^\s*([\d,]+) .*PROGRAM TOTALS', text, re.M)
    if not m:
        sys.exit(f'callgrind: no profile in {out}')
    total = int(m.group(1).replace(',', ''))
    print(f'{total / args.calls:.0f} instructions per call in the bus '
          f'({args.calls} calls, queue {args.queue}, {args.rules} policy rules, {args.matches} match rules)')
    print(f'profile: {out}  (callgrind_annotate {out} | head -40)')


def default_out():
    """bench/results/callgrind-YYYYMMDD-HHMMSS: beside the CSVs, ignored by git."""
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results')
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, time.strftime('callgrind-%Y%m%d-%H%M%S'))


def profile(args, tmp, out):
    """Run the scene under callgrind, writing @out; the compiled tools live in @tmp."""
    tools = bench.build_tools(args.build, tmp)
    bus = bench.Bus('bulkhead-bus', tools, args.rules)
    bus.proc = subprocess.Popen(['valgrind', '--tool=callgrind', '--instr-atstart=no',
                                 f'--callgrind-out-file={out}'] + bus.argv(),
                                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        if not bus.proc.stdout.readline():
            sys.exit('callgrind: the bus did not start')
        bus.address = f'unix:path={bus.socket}'
        bus.echo()
        if args.matches:
            p = bus.spawn([tools['bh-load'], bus.address, 'hold', '1', str(args.matches)])
            p.stdout.readline()
        bench.warm_up(bus, args.queue)
        subprocess.run(['callgrind_control', '-i', 'on', str(bus.proc.pid)], check=True, capture_output=True)
        subprocess.run([tools['bh-load'], bus.address, 'call', bench.ECHO, str(args.calls), str(args.queue)],
                       check=True, capture_output=True)
    finally:
        bus.stop()

if __name__ == '__main__':
    main()
