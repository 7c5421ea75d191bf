#!/usr/bin/python3
# bench/test-bench.py -- the verdicts bench.py prints under "PERF.md targets",
# from medians given here, with no bus and no clock.
#
# Owns: report(), the table: the ratio to the better peer (ours over it for
# rates, it over ours for costs), medians that leave failed runs out, the ratio
# to the floor as the median of the per-repetition ratios, the floor line and
# the CSV rows; and targets() with its three explanations (above_floor, above_cost_floor,
# above_client): which target is met at, above and below its limit, what an
# unmeasured row prints, the figures in the "needs ..." and "above ..." notes,
# and the CSV rows they return. These lines are what bench/README.md and the
# issue notes quote, so a wrong sign or a wrong way round would mislead every
# reader of a run.
# Never: runs a bus or measures anything; the benchmarks themselves stay out
# of make check's pass/fail (bench/meson.build).
import contextlib
import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'lib'))
import bench  # noqa: E402
from bustest import Checks  # noqa: E402

NAN = float('nan')
US, DAEMON, BROKER = 'bulkhead-bus', 'dbus-daemon', 'dbus-broker'


def medians(**rows):
    """key=(ours, dbus-daemon, dbus-broker) -> targets()'s @v"""
    return {key: dict(zip((US, DAEMON, BROKER), vals)) for key, vals in rows.items()}


def run(v, vs_floor=None, floors=None):
    """targets() on these medians: (what -> (shown figure, verdict) as printed, CSV rows)"""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rows = bench.targets(v, vs_floor or {}, floors or {})
    printed = {}
    for line in out.getvalue().splitlines()[2:]:
        what, rest = line[2:58].rstrip(), line[58:]
        printed[what] = (rest[:11].strip(), rest[11:].strip())
    return printed, rows


def check_report(t):
    ms = [('rate', 'a rate', 'calls/s', True, None, 0, 'floor_q10'),
          ('cost', 'a cost', 'us', False, None, 0, None),
          ('lost', 'a row the peers failed', 'kB', False, None, 0, None),
          ('paired', 'a cost in %', '%', False, None, 0, None)]
    kinds = [US, DAEMON, BROKER]
    results = {('rate', US): [100, 200, 90], ('rate', DAEMON): [80, 70, NAN], ('rate', BROKER): [50, 60, 55],
               ('cost', US): [5, 5, NAN], ('cost', DAEMON): [10, 11, 12], ('cost', BROKER): [8, 9, 7],
               ('lost', US): [300, 310, 320], ('lost', DAEMON): [NAN] * 3, ('lost', BROKER): [NAN] * 3,
               ('paired', US): [-2, 1, 4], ('paired', DAEMON): [200, 250, 260], ('paired', BROKER): [5, 6, 7]}
    floors = {'floor_q10': [50, 400, 100], ('rate', 'floor'): [50, 400, 100]}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rows = bench.report(ms, kinds, results, floors, 'TITLE')
    lines = out.getvalue().splitlines()
    table = {line[:48].strip(): line[57:].split() for line in lines
             if line[:48].strip() in ('a rate', 'a cost', 'a row the peers failed', 'a cost in %')}
    t.equal(lines[1:3], ['TITLE', 'floor: raw relay q10 100/s'], 'the title, then the floors\' medians')
    t.equal(table['a rate'][-2:], ['1.33x', '0.90'],
            'a rate: ours over the better peer (100 / 75, its failed run left out), and the median of the ratios to the floor beside '
            'each repetition (2, 0.5, 0.9), not the ratio of the medians (1.0)')
    t.equal(table['a rate'][:6], ['100', '55%', '75', '7%', '55', '9%'],
            'medians and half-range spreads, a failed repetition left out of both')
    t.equal(table['a cost'][-1], '1.60x', 'a cost: the better (lower) peer over ours (8 / 5)')
    t.equal(table['a row the peers failed'][-1], '-', 'no ratio when no peer was measured')
    t.equal(table['a cost in %'], ['+1.0', '3pt', '+250', '30pt', '+6.0', '1pt', '-'],
            'a cost in % is signed, has its spread in points and no ratio (near 0, it may be negative)')
    by_key = {r[0]: r for r in rows if r[0] in ('rate', 'cost', 'lost')}
    t.check(by_key['rate'][3:6] == [100, 75, 55] and abs(by_key['rate'][6] - 4 / 3) < 1e-9 and
            by_key['rate'][7] == 0.9 and by_key['cost'][3] == 5,
            'the CSV rows carry the same medians and ratios', repr(by_key))
    t.check(['floor', 'floor_q10', 'calls/s', 100] in rows, 'and one row per floor')
    t.check(sum(r[0] == 'target' for r in rows) == 18, 'and the 18 target rows')


def main():
    t = Checks('bench targets')
    check_report(t)
    q1 = 'queue 1 >= 1.2 x better peer (bh-load)'
    q1_spam = 'queue 1 >= 1.2 x better peer (dbus-test-tool)'
    q1_floor = 'queue 1 >= 90 % of raw relay floor (bh-load)'
    q10 = 'queue 10 >= 2 x better peer (bh-load)'
    q10_spam = 'queue 10 >= 2 x better peer (dbus-test-tool)'
    cpu = 'bus CPU per call <= 0.5 x dbus-broker'
    pss = 'idle PSS <= 0.5 x dbus-broker'
    conn = 'memory per idle connection <= 2 kB'
    hello = 'spawn -> first Hello <= 0.6 x dbus-daemon'
    rules = '1,000 policy rules cost <= 10 % (calls/s)'
    rules_cpu = '1,000 policy rules cost <= 10 % (CPU/call)'

    # nothing measured: every target is listed, each with "-"
    printed, rows = run({})
    t.equal(len(printed), 18, 'every PERF.md target is listed when nothing was measured')
    t.check(all(p == ('-', '-') for p in printed.values()), 'an unmeasured target shows "-" as figure and verdict',
            repr(printed))
    t.check(all(r[0] == 'target' and r[3] != r[3] for r in rows), 'its CSV row is a target row with an empty figure')

    # rates: ratio to the BETTER peer (the higher rate), met at the limit itself
    printed, rows = run(medians(load_q1=(12000, 10000, 9000), spam_q1=(11999, 10000, 9000)),
                        {'load_q1': 0.95})
    t.equal(printed[q1], ('1.20 x', 'met'), 'a rate exactly at its limit (1.2 x the better peer) is met')
    t.equal(printed[q1_spam][1].split(' (')[0], 'NOT met', 'a rate just below its limit is not met')
    t.equal(printed[q1_floor], ('95 %', 'met'), 'the share of the relay floor is printed in %')
    row = [r for r in rows if r[1] == q1][0]
    t.check(abs(row[3] - 1.2) < 1e-9 and row[4:7] == [1.2, '>=', 'met'],
            'the CSV row holds the ratio, the limit, the operator and the verdict', repr(row))

    # a bh-load rate below target says what it asks of the raw relay floor, even below 1:
    # ours 60,000 vs the better peer 40,000 (1.5 x); ours is 0.6 x the relay, so the relay does
    # 100,000 and 2 x 40,000 = 80,000 = 0.80 x it
    printed, _ = run(medians(load_q10=(60000, 40000, 30000)), {'load_q10': 0.6})
    t.equal(printed[q10], ('1.50 x', 'NOT met (needs 0.80 x the raw relay floor)'),
            'a bh-load rate not met gives the rate asked for as a fraction of the relay floor')
    # the dbus-test-tool rows give it only above 1 (below it the libdbus clients bind) ...
    printed, _ = run(medians(spam_q10=(30000, 25000, 20000)), {'spam_q10': 0.3})
    t.equal(printed[q10_spam], ('1.20 x', 'NOT met'), 'a dbus-test-tool rate asks nothing of the floor below 1')
    printed, _ = run(medians(spam_q10=(30000, 25000, 20000)), {'spam_q10': 0.9})
    t.equal(printed[q10_spam][1], 'NOT met (needs 1.50 x the raw relay floor)',
            'a dbus-test-tool rate gives the floor fraction above 1')
    # ... and the ceiling the libdbus pair sets with a free bus, when the target needs more
    printed, _ = run(medians(spam_q10=(30000, 25000, 20000), spam_q10_ceiling=(40000, NAN, NAN)))
    t.equal(printed[q10_spam][1], 'NOT met (needs 1.25 x what the libdbus clients and service allow with a free bus)',
            'a dbus-test-tool rate not met names the clients\' ceiling when the target is above it')
    printed, _ = run(medians(spam_q10=(30000, 25000, 20000), spam_q10_ceiling=(60000, NAN, NAN)))
    t.equal(printed[q10_spam][1], 'NOT met', 'and says nothing of it when the target is below it')
    # a missing peer counts as absent, not as zero
    printed, _ = run(medians(load_q10=(60000, 25000, NAN)))
    t.equal(printed[q10][0], '2.40 x', 'the better peer is the one measured when the other failed')

    # costs: ours over dbus-broker's (or dbus-daemon's), lower is better
    printed, _ = run(medians(cpu_call=(8.0, 18.0, 16.0), idle_pss=(600, 3000, 1250)),
                     floors={'cpu_call': 7.0, 'idle_pss': 350})
    t.equal(printed[cpu], ('0.50 x', 'met (above the raw relay: +1.0 against +9.0 us = 0.11 x)'),
            'CPU per call is compared with dbus-broker\'s, and what each adds to the relay')
    t.equal(printed[pss], ('0.48 x', 'met (above a process that only waits: +250 against +900 kB = 0.28 x)'),
            'idle PSS is compared with dbus-broker\'s, and what each adds to a waiting process')
    printed, _ = run(medians(cpu_call=(6.5, 18.0, 14.0)), floors={'cpu_call': 7.0})
    t.equal(printed[cpu][1], 'met (above the raw relay: -0.5 against +7.0 us = -0.07 x)',
            'a bus below the relay floor shows a negative addition with its sign')
    printed, _ = run(medians(cpu_call=(8.0, 18.0, 6.5)), floors={'cpu_call': 7.0})
    t.equal(printed[cpu][1], 'NOT met', 'no "above" note when dbus-broker is below the floor itself')
    printed, _ = run(medians(per_conn=(2.0, 8.0, 2.5), start_hello=(5.0, 8.0, 4.0)))
    t.equal(printed[conn], ('2.00 kB', 'met'), 'an absolute cost at its limit is met, in its unit')
    t.equal(printed[hello], ('0.62 x', 'NOT met'), 'start-up is compared with dbus-daemon\'s, not the faster peer')

    # what a load costs: the paired rows' % (a fall in calls/s, a rise in CPU per call)
    printed, _ = run(medians(cost_rules_1000=(10, 1, 1), cost_cpu_rules_1000=(11, 1, 1),
                             rules_0=(100000, 1, 1), rules_1000=(50000, 1, 1)))
    t.equal(printed[rules], ('10 %', 'met'), 'a 10 % fall in calls/s is met')
    t.equal(printed[rules_cpu], ('11 %', 'NOT met'), 'an 11 % rise in CPU per call is not')
    printed, _ = run(medians(cost_rules_1000=(-4, 1, 1), rules_0=(100000, 1, 1), rules_1000=(50000, 1, 1)))
    t.equal(printed[rules][0], '-4 %', 'a load that measured faster shows a negative cost, and the '
            'throughput rows measured apart do not decide it')
    printed, _ = run(medians(cost_rules_1000=(10.3, 1, 1), idle_pss=(603, 1, 1200)))
    t.equal(printed[rules], ('10.3 %', 'NOT met'), 'a cost that rounds to its limit is shown to a tenth')
    t.equal(printed[pss], ('0.502 x', 'NOT met'), 'a ratio that rounds to its limit is shown to a thousandth')
    printed, _ = run(medians(cost_rules_1000=(-0.2, 1, 1)))
    t.equal(printed[rules][0], '0 %', 'a cost that rounds to 0 shows no minus sign')
    t.finish()


if __name__ == '__main__':
    main()
