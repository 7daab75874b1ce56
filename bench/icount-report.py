#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/icount-report.py OUT RESULTS: the deterministic fill report.

Reads OUT/logs/fill-<series>.log (console logs of bench/run --icount
guests: "RCB fill," CSV lines of bench/fill) and writes RESULTS/results.json,
RESULTS/results.md and RESULTS/fill.csv. When RESULTS/previous.json exists
(an earlier committed results.json, kept by hand), the enabled (global)
ratios are compared with it.

Under QEMU -icount shift=0 the guest's CLOCK_MONOTONIC advances 1 ns per
executed guest instruction, so every time here is an instruction count.
"""
import json
import math
import os
import re
import statistics
import sys

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447,
       7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179,
       13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101,
       19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042}
VARIANTS = ["seq", "rand", "write", "mmap", "anon"]
VNAME = {"seq": "seq 1 MiB reads", "rand": "rand 4 KiB reads",
         "write": "write", "mmap": "mmap read",
         "anon": "anonymous page faults"}
CNAME = {"disabled": "loaded, disabled", "enabled": "enabled",
         "scope1024": "enabled, 1024 scope entries (job inside)",
         "outscope": "enabled, out of scope (1024 entries)",
         "kretprobe": "enabled, kretprobe mechanism (the fallback)",
         "kretprobeoff": "loaded disabled, kretprobe mechanism (probe cost alone)",
         "callstart": "enabled, wrapper calls the function at its start (IBT path, test build)"}
FIELDS = ["variant", "readers", "config", "rep", "bytes", "ns", "file_pages",
          "redirected_folios", "probe_misses", "skipped_out_of_scope"]


SCOPES = [f"{io}{n}" for io in ("scope", "outscope") for n in (1, 16, 1024)]


def cname(c):
    m = re.match(r"(out)?scope(\d+)$", c)
    if m:
        n = int(m.group(2))
        return (f"enabled, out of scope ({n} entr{'y' if n == 1 else 'ies'})"
                if m.group(1) else
                f"enabled, {n} scope entr{'y' if n == 1 else 'ies'} (job inside)")
    return CNAME.get(c, c)


def t95(df):
    if df <= 0:
        return float("nan")
    keys = sorted(k for k in T95 if k <= df)
    return T95[keys[-1]] if df <= 30 else 1.96


def ci(xs):
    """mean and 95 % Student-t half-width (nan for one value)."""
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, float("nan")
    return m, t95(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))


def load(out):
    rows, meta, walls = {}, {}, {}
    logs = os.path.join(out, "logs")
    for f in sorted(os.listdir(logs)):
        m = re.match(r"fill-(.+)\.log$", f)
        if not m:
            continue
        s = m.group(1)
        rows[s] = []
        for line in open(os.path.join(logs, f), errors="replace"):
            line = line.strip().replace("\r", "")
            if line.startswith("RCB meta,"):
                meta[s] = line.split(",")[1]
            if not line.startswith("RCB fill,"):
                continue
            v = line[len("RCB fill,"):].split(",")
            r = dict(zip(FIELDS, v))
            for k in FIELDS[3:]:
                r[k] = int(r[k])
            r["readers"] = int(r["readers"])
            if r["rep"] >= 0:	# rep -1: the warm-up repetition
                rows[s].append(r)
        w = os.path.join(logs, f"fill-{s}.wall")
        if os.path.exists(w):
            walls[s] = int(open(w).read().strip())
    return rows, meta, walls


def analyse(rows):
    by = {}
    for r in rows:
        by[(r["variant"], r["config"], r["rep"])] = r
    res = {"variants": {}, "knob": [], "repeat": []}
    configs = []
    for r in rows:
        if r["config"] not in configs:
            configs.append(r["config"])
    for v in VARIANTS:
        reps = sorted({r["rep"] for r in rows if r["variant"] == v})
        if not reps:
            continue
        vr = {}
        for c in configs:
            if c.startswith("spin"):
                continue
            ok = [n for n in reps if (v, c, n) in by and (v, "unloaded", n) in by]
            if not ok:
                continue
            t = [by[(v, c, n)]["ns"] for n in ok]
            t0 = [by[(v, "unloaded", n)]["ns"] for n in ok]
            units = [by[(v, c, n)]["bytes"] // 4096 if v == "anon"
                     else by[(v, "unloaded", n)]["file_pages"] for n in ok]
            ratio = ci([a / b for a, b in zip(t0, t)])
            per = ci([(a - b) / u for a, b, u in zip(t, t0, units)])
            tm = statistics.fmean(t)
            # reproducibility: the same work in every repetition, except
            # rand, which reads other offsets in every repetition
            spread = (max(t) - min(t)) / tm
            rf = [by[(v, c, n)]["redirected_folios"] for n in ok]
            per_f = ci([(a - b) / f for a, b, f in zip(t, t0, rf)]) \
                if min(rf) > 0 else (float("nan"), float("nan"))
            vr[c] = {
                "reps": len(ok),
                "ns_mean": tm,
                "units_mean": statistics.fmean(units),
                "ns_per_unit": tm / statistics.fmean(units),
                "ratio": ratio[0], "ratio_ci95": ratio[1],
                "ratio_low": ratio[0] - ratio[1],
                "added_ns_per_unit": per[0], "added_ns_per_unit_ci95": per[1],
                "redirected_folios_mean": statistics.fmean(rf),
                "added_ns_per_redirected_folio": per_f[0],
                "added_ns_per_redirected_folio_ci95": per_f[1],
                "rep_spread": spread,
                "ns_each_rep": t,
            }
            if v != "rand":
                res["repeat"].append({"variant": v, "config": c,
                                      "reps": len(ok), "spread": spread})
        res["variants"][v] = vr
    # the knob: spinN against spin0 (the same test build, no loop; else
    # enabled), same repetition, per redirected folio
    ref = "spin0" if "spin0" in configs else "enabled"
    for c in configs:
        m = re.match(r"spin(\d+)$", c)
        if not m or c == ref:
            continue
        loops = int(m.group(1))
        for v in VARIANTS:
            ok = sorted(n for (vv, cc, n) in by if vv == v and cc == c
                        and (v, ref, n) in by)
            if not ok:
                continue
            d = [(by[(v, c, n)]["ns"] - by[(v, ref, n)]["ns"])
                 / by[(v, c, n)]["redirected_folios"] for n in ok
                 if by[(v, c, n)]["redirected_folios"] > 0]
            if not d:
                continue
            mean, hw = ci(d)
            exp = 2 * loops
            res["knob"].append({"variant": v, "loops": loops, "reps": len(d),
                                "reference": ref,
                                "expected_ns_per_folio": exp,
                                "measured_ns_per_folio": mean,
                                "measured_ci95": hw,
                                "measured_over_expected": mean / exp,
                                "within_10pct": abs(mean / exp - 1) <= 0.10})
    return res


def fmt_ci(m, hw, nd=4):
    if math.isnan(hw):
        return f"{m:.{nd}f}"
    return f"{m:.{nd}f} ± {hw:.{nd}f}"


def series_key(name):
    """Series in version order, arm64's (arm64-6.1) after x86_64's."""
    arch, _, version = name.rpartition("-")
    return (arch, [int(p) for p in version.split(".")])


def section(allres):
    """The summary Documentation/benchmarks.md shows (bench/report.py)."""
    arm64 = all(s.startswith("arm64-") for s in allres["series"])
    d = ["### Fill cost in instructions (deterministic mode" +
         (", arm64)" if arm64 else ")"), "",
         "Measured by `bench/run --icount`, not by the wall-clock run above: "
         "QEMU `-icount shift=0,sleep=off`, where the guest clock counts "
         "executed instructions (1 ns = 1 instruction), sparse-file reads "
         "and cache-resident writes so that no device I/O is timed. It "
         "measures the work the CPU does, not real time: cache and TLB "
         "misses and the real cost of a kprobe's trap are not in it. "
         f"Command `{allres['command']}`, commit {allres['commit']}; "
         "full tables: `bench/results/icount" + ("-arm64" if arm64 else "") + "/results.md`.", "",
         "| series | variant | enabled / not loaded | added instructions per redirected folio (per 4 KiB page) | loaded, disabled | kretprobe mechanism | kretprobe, loaded disabled | IBT path (test build) |",
         "|---|---|---|---|---|---|---|---|"]
    for s, res in sorted(allres["series"].items(),
                         key=lambda x: series_key(x[0])):
        for v, vr in res["variants"].items():
            if v == "anon" or "enabled" not in vr:
                continue
            e = vr["enabled"]
            d.append(f"| {s} | {VNAME[v]} | {fmt_ci(e['ratio'], e['ratio_ci95'])} | "
                     f"{fmt_ci(e['added_ns_per_redirected_folio'], e['added_ns_per_redirected_folio_ci95'], 0)} "
                     f"({fmt_ci(e['added_ns_per_unit'], e['added_ns_per_unit_ci95'], 0)}) | "
                     + " | ".join(fmt_ci(vr[c]["ratio"], vr[c]["ratio_ci95"])
                                  if c in vr else "" for c in
                                  ("disabled", "kretprobe", "kretprobeoff",
                                   "callstart"))
                     + " |")
    d += ["", "Scoped mode (issue 27), ratio to not loaded; in: the job's "
          "parent is listed, out: it is not (N entries either way):", "",
          "| series | variant | " + " | ".join(
              ("in " if c.startswith("s") else "out ") + re.sub(r"\D", "", c)
              for c in SCOPES) + " |",
          "|---|---|" + "---|" * len(SCOPES)]
    for s, res in sorted(allres["series"].items(),
                         key=lambda x: series_key(x[0])):
        for v, vr in res["variants"].items():
            if v == "anon" or not any(c in vr for c in SCOPES):
                continue
            d.append(f"| {s} | {VNAME[v]} | " + " | ".join(
                fmt_ci(vr[c]["ratio"], vr[c]["ratio_ci95"]) if c in vr else ""
                for c in SCOPES) + " |")
    if allres.get("note"):	# which run each series comes from, ...
        d += ["", "Operator's note: " + allres["note"]]
    d += ["", "Against the target (issue 15: enabled / not loaded with a 95 % "
          "interval no wider than ±0.005 and its lower bound ≥ 0.99):", ""]
    for s, res in sorted(allres["series"].items()):
        for v in ("seq", "rand", "write", "mmap"):
            e = res["variants"].get(v, {}).get("enabled")
            if not e:
                continue
            narrow = e["ratio_ci95"] <= 0.005
            ok = e["ratio_low"] >= 0.99
            d.append(f"- {s} {v}: {fmt_ci(e['ratio'], e['ratio_ci95'])}, "
                     f"interval {'narrow enough' if narrow else 'TOO WIDE'}, "
                     f"lower bound {e['ratio_low']:.4f}: "
                     + ("meets 0.99" if ok and narrow else
                        "**misses 0.99**" if narrow else "cannot tell"))
    d += ["", "Scoped mode against the target (issue 27: every scope "
          "configuration's ratio ≥ 0.99, its 95 % interval within ±0.005):",
          ""]
    for s, res in sorted(allres["series"].items()):
        for v in ("seq", "rand", "write", "mmap"):
            vr = res["variants"].get(v, {})
            got = [(c, vr[c]) for c in SCOPES if c in vr]
            if not got:
                continue
            bad = [c for c, x in got
                   if x["ratio"] < 0.99 or x["ratio_ci95"] > 0.005]
            worst = min(got, key=lambda cx: cx[1]["ratio"])
            d.append(f"- {s} {v}: lowest {worst[0]} "
                     f"{fmt_ci(worst[1]['ratio'], worst[1]['ratio_ci95'])}: "
                     + ("all meet it" if not bad else
                        "**misses: " + ", ".join(bad) + "**"))
    prev = allres.get("previous")
    if prev:
        d += ["", "Global mode (enabled) against the previous committed "
              f"results (commit {prev['commit']}): whether today's mean "
              "lies inside the earlier 95 % interval:", ""]
        for s, res in sorted(allres["series"].items()):
            for v in ("seq", "rand", "write", "mmap"):
                e = res["variants"].get(v, {}).get("enabled")
                p = prev["series"].get(s, {}).get("variants", {}).get(v, {}) \
                    .get("enabled")
                if not e or not p:
                    continue
                inside = abs(e["ratio"] - p["ratio"]) <= p["ratio_ci95"]
                d.append(f"- {s} {v}: now {fmt_ci(e['ratio'], e['ratio_ci95'])}, "
                         f"before {fmt_ci(p['ratio'], p['ratio_ci95'])}: "
                         + ("inside" if inside else
                            f"outside (by {e['ratio'] - p['ratio']:+.4f})"))
    d += ["", "Anonymous page faults (mmap-touch, no page cache), added "
          "instructions per fault against not loaded:", ""]
    for s, res in sorted(allres["series"].items()):
        vr = res["variants"].get("anon")
        if not vr:
            continue
        d.append(f"- {s}: not loaded {vr['unloaded']['ns_per_unit']:.0f} per fault; "
                 + "; ".join(f"{cname(c)} "
                             f"{fmt_ci(x['added_ns_per_unit'], x['added_ns_per_unit_ci95'], 1)}"
                             f" (ratio {fmt_ci(x['ratio'], x['ratio_ci95'])})"
                             for c, x in vr.items() if c != "unloaded"))
    d += ["", "Test knob and reproducibility:", ""]
    for s, res in sorted(allres["series"].items()):
        for k in res["knob"]:
            d.append(f"- {s} {k['variant']}: test_spin_loops={k['loops']} "
                     f"expected {k['expected_ns_per_folio']} instructions per "
                     f"folio, measured {fmt_ci(k['measured_ns_per_folio'], k['measured_ci95'], 1)} "
                     f"({(k['measured_over_expected'] - 1) * 100:+.2f} %)")
        if res["repeat"]:
            w = max(res["repeat"], key=lambda x: x["spread"])
            d.append(f"- {s}: the same configuration over the repetitions: "
                     f"largest (max - min) / mean of the time (rand left out) "
                     f"{w['spread'] * 100:.3f} % "
                     f"({w['variant']}, {w['config']})")
    return d


def main():
    out, results = sys.argv[1], sys.argv[2]
    rows, meta, walls = load(out)
    os.makedirs(results, exist_ok=True)
    allres = {"mode": "icount", "command": os.environ.get("BENCH_CMD", ""),
              "commit": os.environ.get("BENCH_COMMIT", ""),
              "clock": "QEMU -icount shift=0,sleep=off, single-threaded TCG, "
                       "1 vCPU: guest ns = executed guest instructions",
              "series": {}}
    prev = os.path.join(results, "previous.json")
    if os.path.exists(prev):
        p = json.load(open(prev))
        allres["previous"] = {"commit": p.get("commit", "?"), "series": {
            s: {"variants": {v: {"enabled": {
                k: x["enabled"][k] for k in ("ratio", "ratio_ci95")}}
                for v, x in r["variants"].items() if "enabled" in x}}
            for s, r in p.get("series", {}).items()}}
    with open(os.path.join(results, "fill.csv"), "w") as f:
        f.write("series," + ",".join(FIELDS) + "\n")
        for s, rs in rows.items():
            for r in rs:
                f.write(s + "," + ",".join(str(r[k]) for k in FIELDS) + "\n")
    md = ["# rootcache fill cost in instructions (bench/run --icount)", "",
          "Generated by `bench/icount-report.py` from the console logs of "
          "`bench/run --icount`. The guest runs under QEMU "
          "`-icount shift=0,sleep=off` (single-threaded TCG, 1 vCPU): its "
          "CLOCK_MONOTONIC advances one nanosecond per executed guest "
          "instruction, so every \"ns\" below is a count of executed "
          "instructions, not real time: cache misses, TLB misses, branch "
          "mispredictions and the real cost of a trap are not in it. Reads are "
          "of a sparse file (holes: no disk I/O), writes stay in the page "
          "cache (periodic writeback off, journal commit 600 s), so no device "
          "I/O is timed. The wall-clock measurements are "
          "`bench/results/results.json` and `Documentation/benchmarks.md`.",
          "",
          f"Command: `{allres['command']}`, commit {allres['commit']}.", ""]
    for s in sorted(rows, key=series_key):
        res = analyse(rows[s])
        res["abi"] = meta.get(s, "?")
        res["wall_s"] = walls.get(s)
        allres["series"][s] = res
        md += [f"## {s} ({res['abi']})", "",
               f"Guest wall time {res['wall_s']} s (boot included)." if res["wall_s"] else "",
               "",
               "Ratio = time not loaded / time in the configuration, per "
               "repetition, mean ± 95 % Student-t half-width. Added = (time "
               "in the configuration - time not loaded) per 4 KiB page-cache page "
               "inserted (nr_file_pages of the not-loaded run; per fault for "
               "anon), and per folio the module redirected (7.3's ext4 "
               "inserts large folios: there a folio is several pages).",
               "",
               "| variant | configuration | reps | ratio | added ns (instr.) per 4 KiB page/fault | added ns per redirected folio | ns per page/fault not loaded | redirected folios |",
               "|---|---|---|---|---|---|---|---|"]
        for v, vr in res["variants"].items():
            base = vr.get("unloaded")
            for c, x in vr.items():
                if c == "unloaded":
                    continue
                md.append(f"| {VNAME[v]} | {cname(c)} | {x['reps']} | "
                          f"{fmt_ci(x['ratio'], x['ratio_ci95'])} | "
                          f"{fmt_ci(x['added_ns_per_unit'], x['added_ns_per_unit_ci95'], 0)} | "
                          + (fmt_ci(x['added_ns_per_redirected_folio'], x['added_ns_per_redirected_folio_ci95'], 0)
                             if not math.isnan(x['added_ns_per_redirected_folio']) else "-")
                          + f" | {base['ns_per_unit']:.0f} | "
                          f"{x['redirected_folios_mean']:.0f} |")
        md += ["", "**Test knob** (`test_spin_loops=N`, test build: 2N "
               "instructions per redirected folio; measured = (time spinN - "
               "time spin0, the same test build without the loop) / "
               "redirected folios, same repetition):", "",
               "| variant | N | expected ns/folio | measured | measured/expected | within 10 % |",
               "|---|---|---|---|---|---|"]
        for k in res["knob"]:
            md.append(f"| {k['variant']} | {k['loops']} | {k['expected_ns_per_folio']} | "
                      f"{fmt_ci(k['measured_ns_per_folio'], k['measured_ci95'], 1)} | "
                      f"{k['measured_over_expected']:.4f} | "
                      f"{'yes' if k['within_10pct'] else 'NO'} |")
        rs = res["repeat"]
        if rs:
            worst = max(rs, key=lambda x: x["spread"])
            md += ["", "**Reproducibility**: the same configuration measured "
                   "in every repetition: (max - min) / mean of its time over "
                   "the repetitions; largest except rand (rand reads other "
                   "offsets in every repetition, so its time differs by "
                   "design): "
                   f"{worst['spread'] * 100:.3f} % "
                   f"({worst['variant']}, {worst['config']}); per variant "
                   "and configuration:", "",
                   "| variant | " + " | ".join(
                       c for c in res["variants"].get("seq", {})) + " |",
                   "|---|" + "---|" * len(res["variants"].get("seq", {}))]
            for v, vr in res["variants"].items():
                md.append(f"| {v} | " + " | ".join(
                    f"{vr[c]['rep_spread'] * 100:.3f} %" if c in vr else ""
                    for c in res["variants"].get("seq", {})) + " |")
        md.append("")
    note = os.path.join(out, "note.md")
    if os.path.exists(note):	# written by hand after the run
        allres["note"] = open(note).read().strip()
        md += ["## Operator's note", "", allres["note"], ""]
    json.dump(allres, open(os.path.join(results, "results.json"), "w"),
              indent=1)
    open(os.path.join(results, "section.md"), "w").write(
        "\n".join(section(allres)) + "\n")
    open(os.path.join(results, "results.md"), "w").write("\n".join(md) + "\n")
    print(f"wrote {results}/results.json, results.md, fill.csv")


if __name__ == "__main__":
    main()
