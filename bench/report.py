#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn build/bench/*.csv into results.json, summary.md, PNG plots (gnuplot)
and Documentation/benchmarks.md. Standard library only.

usage: bench/report.py OUTDIR DOCFILE
"""
import csv
import json
import math
import os
import statistics as st
import subprocess
import sys

# two-sided 95 % Student t quantiles, df 1..30
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
       2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
       2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]

CYCLE_CONFIGS = ["none", "rootcache-nometa", "rootcache", "reclaim", "pool"]

TCG_NOTE = ("> Guests run under QEMU TCG emulation (no KVM), one vCPU thread "
            "per guest on a shared 2-core host: absolute numbers are those of "
            "an emulated machine and drift with host load. Only ratios "
            "measured side by side in one boot count.")


def mean_ci(xs):
    """mean, half-width of the 95 % CI (None with fewer than 2 values)."""
    if not xs:
        return None, None
    m = st.mean(xs)
    if len(xs) < 2:
        return m, None
    df = len(xs) - 1
    t = T95[df - 1] if df <= len(T95) else 1.96
    return m, t * st.stdev(xs) / math.sqrt(len(xs))


def fmt_ci(m, h, digits=3):
    if m is None:
        return "n/a"
    if h is None:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ± {h:.{digits}f}"


def load_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


CFGS = ["unloaded", "disabled", "enabled", "scope1024"]
CFG_LABEL = {"unloaded": "not loaded", "disabled": "loaded, disabled",
             "enabled": "enabled", "scope1024": "enabled, 1024-entry scope"}


def fill_analysis(rows):
    out = {"variants": {}, "conc": {}}
    by = {}
    for r in rows:
        key = (r["variant"], int(r["readers"]), r["config"])
        by.setdefault(key, {})[int(r["rep"])] = r
    for variant in ["seq", "rand", "write"]:
        if not any(k[0] == variant for k in by):
            continue
        v = {"configs": {}}
        base = by.get((variant, 1, "unloaded"), {})
        en = by.get((variant, 1, "enabled"), {})
        folios = [int(r["redirected_folios"]) for r in en.values()
                  if int(r["redirected_folios"]) > 0]
        nfol = st.median(folios) if folios else None
        v["folios"] = nfol
        for cfg in CFGS:
            reps = by.get((variant, 1, cfg))
            if not reps:
                continue
            thr = [int(r["bytes"]) / 2**20 / (int(r["ns"]) / 1e9)
                   for r in reps.values()]
            ns = [int(r["ns"]) for r in reps.values()]
            pages = [int(r["file_pages"]) for r in reps.values()]
            c = {"n": len(reps), "mibps_median": st.median(thr),
                 "mibps_mean_ci": mean_ci(thr),
                 "file_pages_median": st.median(pages),
                 "ns_per_folio": (st.median(ns) / nfol) if nfol else None}
            if cfg != "unloaded" and base:
                common = sorted(set(reps) & set(base))
                ratios = [(int(base[i]["ns"]) / int(reps[i]["ns"]))
                          for i in common]
                c["ratio_vs_unloaded"] = mean_ci(ratios)
                c["ratio_of_medians"] = (
                    st.median(int(base[i]["ns"]) for i in common) /
                    st.median(int(reps[i]["ns"]) for i in common)
                    if common else None)
                if nfol:
                    added = [(int(reps[i]["ns"]) - int(base[i]["ns"])) / nfol
                             for i in common]
                    c["added_ns_per_folio"] = mean_ci(added)
            rf = [int(r["redirected_folios"]) for r in reps.values()]
            c["redirected_folios_median"] = st.median(rf)
            c["skipped_out_of_scope_sum"] = sum(
                max(0, int(r["skipped_out_of_scope"])) for r in reps.values())
            v["configs"][cfg] = c
        out["variants"][variant] = v
    readers = sorted({k[1] for k in by if k[0] == "conc"})
    for n in readers:
        base = by.get(("conc", n, "unloaded"), {})
        c = {}
        for cfg in CFGS:
            reps = by.get(("conc", n, cfg))
            if not reps or cfg == "unloaded":
                continue
            common = sorted(set(reps) & set(base))
            ratios = [int(base[i]["ns"]) / int(reps[i]["ns"]) for i in common]
            c[cfg] = {
                "n": len(common),
                "ratio_vs_unloaded": mean_ci(ratios),
                "probe_misses": sum(int(r["probe_misses"])
                                    for r in reps.values()),
                "mibps_median": st.median(
                    int(r["bytes"]) / 2**20 / (int(r["ns"]) / 1e9)
                    for r in reps.values()),
            }
        if base:
            c["unloaded"] = {"mibps_median": st.median(
                int(r["bytes"]) / 2**20 / (int(r["ns"]) / 1e9)
                for r in base.values())}
        out["conc"][n] = c
    return out


def cycles_analysis(rows):
    out = {}
    for r in rows:
        key = (r["series"], r["config"])
        out.setdefault(key, []).append(r)
    res = {}
    for (series, cfg), rs in out.items():
        base = [r for r in rs if int(r["cycle"]) == 0]
        end = [r for r in rs if int(r["cycle"]) == -1]
        late = [r for r in rs if int(r["cycle"]) == -2]
        cyc = sorted((r for r in rs if int(r["cycle"]) > 0),
                     key=lambda r: int(r["cycle"]))
        if not base or not cyc:
            continue
        b, last = base[0], cyc[-1]
        d = {
            "n": len(cyc),
            "cycle_ms_mean_ci": mean_ci([int(r["cycle_us"]) / 1000
                                         for r in cyc]),
            "reclaim_ms_mean_ci": mean_ci([int(r["reclaim_us"]) / 1000
                                           for r in cyc]),
            "reclaim_errors": sum(1 for r in cyc if int(r["reclaim_ret"])),
            "dying_base": int(b["dying"]),
            "dying_last": int(last["dying"]),
            "dying_max": max(int(r["dying"]) for r in cyc),
            "dying_after_sync": int(end[0]["dying"]) if end else None,
            "dying_late": int(late[0]["dying"]) if late else None,
            "late_s": (int(late[0]["cycle_us"]) / 1e6) if late else None,
            "percpu_kb_delta": int(last["percpu_kb"]) - int(b["percpu_kb"]),
            "slab_kb_delta": int(last["slab_kb"]) - int(b["slab_kb"]),
            "memcgs_delta": (int(last["memcgs"]) - int(b["memcgs"])
                             if int(b["memcgs"]) >= 0 else "n/a"),
            "file_kb_delta": int(last["file_kb"]) - int(b["file_kb"]),
        }
        # the pool configuration's pool (columns absent in older runs)
        pool = [int(r["pool_kb"]) for r in cyc if int(r.get("pool_kb") or -1) >= 0]
        peak = [int(r["pool_peak_kb"]) for r in rs
                if int(r.get("pool_peak_kb") or -1) >= 0]
        if pool:
            d["pool_kb_max"] = max(pool)
            d["pool_kb_last"] = pool[-1]
            d["pool_peak_kb"] = max(peak) if peak else None
        res[f"{series}/{cfg}"] = d
    return res


def series_key(s):
    """Sort "6.1" < "6.1-v1" < "6.12" < "7.2"."""
    ver, _, mode = s.partition("-")
    return ([int(x) for x in ver.split(".")], mode)


def gnuplot(script, outdir):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       cwd=outdir)
        return True
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"bench/report: gnuplot failed: {e}", file=sys.stderr)
        return False


def plots(outdir, cyc_rows, fill):
    made = []
    # cycles: one data file per series/config
    keys = sorted({(r["series"], r["config"]) for r in cyc_rows},
                  key=lambda k: (series_key(k[0]), k[1]))
    for s, c in keys:
        with open(os.path.join(outdir, f"cyc-{s}-{c}.dat"), "w") as f:
            rs = sorted((r for r in cyc_rows if r["series"] == s and
                         r["config"] == c and int(r["cycle"]) >= 0),
                        key=lambda r: int(r["cycle"]))
            base = rs[0] if rs else None
            for r in rs:
                f.write(f'{r["cycle"]} {r["dying"]} '
                        f'{int(r["percpu_kb"]) - int(base["percpu_kb"])} '
                        f'{int(r["slab_kb"]) - int(base["slab_kb"])}\n')
    if keys:
        color = {"none": "#d62728", "rootcache": "#1f77b4",
                 "reclaim": "#2ca02c", "rootcache-nometa": "#9467bd"}
        series = sorted({k[0] for k in keys},
                        key=series_key)
        for col, name, ylab in [(2, "dying", "dying memory cgroups"),
                                (3, "percpu", "Percpu change (KiB)"),
                                (4, "slab", "Slab change (KiB)")]:
            w = 360 * len(series) + 80
            # counts start at 0; the memory deltas may go below it
            yrange = "[0:*]" if name == "dying" else "[*:*]"
            script = (f"set terminal pngcairo size {w},460 noenhanced\n"
                      f'set output "{name}.png"\n'
                      f'set multiplot layout 1,{len(series)} title '
                      f'"{ylab} over job cycles (TCG guests; -v1: cgroup v1, else v2)"\n'
                      'set xlabel "job cycle"\nset grid\nset key left top\n'
                      f"set yrange {yrange}\n")
            for s_ in series:
                lines = [f'"cyc-{s_}-{c}.dat" using 1:{col} with lines lw 2 '
                         f'lc rgb "{color.get(c, "black")}" title "{c}"'
                         for (ss, c) in keys if ss == s_]
                script += (f'set title "{s_}"\nset ylabel "{ylab}"\n'
                           "plot " + ", ".join(lines) + "\n")
            script += "unset multiplot\n"
            if gnuplot(script, outdir):
                made.append(f"{name}.png")
    # fill: throughput ratio vs not loaded with 95 % CI
    pts = []
    for v, vd in fill.get("variants", {}).items():
        for cfg in CFGS[1:]:
            c = vd["configs"].get(cfg)
            if c and c.get("ratio_vs_unloaded") and \
                    c["ratio_vs_unloaded"][0] is not None:
                m, h = c["ratio_vs_unloaded"]
                pts.append((f"{v} {cfg}", m, h or 0))
    for n, cd in sorted(fill.get("conc", {}).items()):
        c = cd.get("enabled")
        if c and c["ratio_vs_unloaded"][0] is not None:
            m, h = c["ratio_vs_unloaded"]
            pts.append((f"{n} readers enabled", m, h or 0))
    if pts:
        with open(os.path.join(outdir, "fill-ratio.dat"), "w") as f:
            for i, (lab, m, h) in enumerate(pts):
                f.write(f'{i} {m} {h} "{lab}"\n')
        script = (
            "set terminal pngcairo size 900,520 noenhanced\n"
            'set output "fill-ratio.png"\n'
            'set title "throughput / throughput with the module not loaded '
            '(mean, 95% CI; TCG guest)"\n'
            "set style fill solid 0.5\nset boxwidth 0.6\nset grid y\n"
            "set xtics rotate by -30\nset yrange [0:*]\nset bmargin 7\nset rmargin 8\n"
            "set arrow from graph 0, first 1 to graph 1, first 1 nohead "
            "dt 2\n"
            'plot "fill-ratio.dat" using 1:2:xtic(4) with boxes notitle, '
            '"" using 1:2:3 with yerrorbars lc rgb "black" pt 0 notitle\n')
        if gnuplot(script, outdir):
            made.append("fill-ratio.png")
    return made


def md_fill(fill, meta):
    L = []
    vs = fill.get("variants", {})
    if vs:
        L.append("### Page-cache fill cost (wall clock)\n")
        L.append(TCG_NOTE + "\n")
        L.append(f"Kernel {meta.get('fill_series', '?')} "
                 f"(`{meta.get('fill_abi', '?')}`), cgroup v2, guest "
                 f"{meta.get('fill_mem', '?')} MiB / {meta.get('cpus', '?')} "
                 f"vCPUs. {meta.get('fill_params', '')}\n")
        L.append("| variant | configuration | reps | MiB/s (median) | "
                 "ratio vs not loaded (mean ± 95% CI) | ratio of medians | "
                 "ns per folio | "
                 "added ns per folio vs not loaded (± 95% CI) | "
                 "folios redirected (median) |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for v, vd in vs.items():
            for cfg in CFGS:
                c = vd["configs"].get(cfg)
                if not c:
                    continue
                r = c.get("ratio_vs_unloaded")
                a = c.get("added_ns_per_folio")
                npf = c.get("ns_per_folio")
                rs = fmt_ci(*r) if r else "1 (reference)"
                rm = c.get("ratio_of_medians")
                rs += f" | {rm:.3f}" if rm else " | —"
                nps = f"{npf:.0f}" if npf else "n/a"
                ads = fmt_ci(*a, digits=0) if a else "—"
                rfs = (str(c["redirected_folios_median"])
                       if cfg != "unloaded" else "—")
                L.append(f"| {v} | {CFG_LABEL[cfg]} | {c['n']} | "
                         f"{c['mibps_median']:.1f} | {rs} | {nps} | {ads} | "
                         f"{rfs} |")
        L.append("")
        L.append("ns per folio = median time of the run / folios inserted, "
                 "the folio count being the median of `stats/redirected_"
                 "folios` over the enabled runs of the same variant (same "
                 "file, same access pattern). Ratio = time not loaded / time "
                 "in this configuration, per repetition, so > 1 is faster. "
                 "With the scope, the job is inside a listed subtree "
                 "(its parent is the last of the 1024 listed groups).\n")
    conc = fill.get("conc", {})
    if conc:
        L.append("### Concurrency (wall clock)\n")
        L.append(TCG_NOTE + "\n")
        L.append("| readers | MiB/s not loaded (median) | MiB/s enabled "
                 "(median) | ratio enabled / not loaded (mean ± 95% CI) | "
                 "probe misses (sum over reps) |")
        L.append("|---|---|---|---|---|")
        for n, cd in sorted(conc.items(), key=lambda x: int(x[0])):
            e = cd.get("enabled")
            u = cd.get("unloaded")
            if not e:
                continue
            L.append(f"| {n} | {u['mibps_median']:.1f} | "
                     f"{e['mibps_median']:.1f} | "
                     f"{fmt_ci(*e['ratio_vs_unloaded'])} | "
                     f"{e['probe_misses']} |")
        L.append("")
    return L


def md_cycles(cyc, meta):
    L = []
    if not cyc:
        return L
    L.append("### Job cycles: dying memory cgroups and memory held\n")
    L.append(TCG_NOTE + " Each series is its own boot; the three "
             "configurations run one after another in that boot, with files "
             "deleted, caches dropped and the dying count settled between "
             "them.\n")
    L.append(f"{meta.get('cycles_params', '')}\n")
    L.append("| series | configuration | cycles | ms per cycle (mean ± 95% CI) "
             "| reclaim ms per cycle | dying at start | dying after last "
             "cycle | max | after sync + 3 s | after ≤ 20 s more (s waited) | Percpu Δ KiB | Slab Δ KiB | "
             "memcgs Δ (/proc/cgroups) | page cache Δ MiB |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def order(k):
        s, c = k.split("/")
        return (series_key(s),
                CYCLE_CONFIGS.index(c) if c in CYCLE_CONFIGS else 9)
    for k in sorted(cyc, key=order):
        d = cyc[k]
        s, c = k.split("/")
        late = (f"{d['dying_late']} ({d['late_s']:.1f})"
                if d["late_s"] is not None else "n/a")
        rec = (fmt_ci(*d["reclaim_ms_mean_ci"], digits=1)
               if c == "reclaim" else "—")
        if c == "reclaim" and d["reclaim_errors"]:
            rec += f" ({d['reclaim_errors']} partial)"
        L.append(f"| {s} | {c} | {d['n']} | "
                 f"{fmt_ci(*d['cycle_ms_mean_ci'], digits=1)} | {rec} | "
                 f"{d['dying_base']} | {d['dying_last']} | {d['dying_max']} | "
                 f"{d['dying_after_sync']} | "
                 f"{late} | "
                 f"{d['percpu_kb_delta']} | "
                 f"{d['slab_kb_delta']} | {d['memcgs_delta']} | "
                 f"{d['file_kb_delta'] / 1024:.0f} |")
    L.append("")
    L.append("memcgs n/a: `/proc/cgroups` has no memory count on this "
             "kernel (7.x). "
             "none = module not loaded; rootcache = loaded and enabled "
             "(global scope), metadata cache too (the default); "
             "rootcache-nometa = the same with `metadata` 0; "
             "reclaim = module not loaded, "
             "`memory.reclaim` of the group's `memory.current` before every "
             "rmdir, and on cgroup v1 (series `-v1`) `0` written to "
             "`memory.force_empty` (\"partial\": the write returned an "
             "error, e.g. EAGAIN when not everything could be reclaimed). "
             "Dying = `nr_dying_descendants` of the root `cgroup.stat`; on "
             "v1 `num_cgroups` of `memory` in `/proc/cgroups` minus the "
             "groups visible in the hierarchy. Δ = after "
             "the last cycle minus before the first. Page cache = root "
             "`memory.stat` `file` (v1: `total_cache`; all page cache): what "
             "the jobs' data still has cached for a later reader; "
             "`memory.reclaim` and `force_empty` give that up, rootcache "
             "keeps it (charged to root).\n")
    return L


def md_pool(cyc, meta):
    """The cache pool's job cycles (bench/run --pool), beside plain rootcache
    in the same boot."""
    pools = sorted((k for k in cyc if k.endswith("/pool")),
                   key=lambda k: series_key(k.split("/")[0]))
    if not pools:
        return []
    limit = meta.get("pool_max_mib", "?")
    L = ["### Job cycles with a cache pool (`bench/run --pool`)\n",
         f"Command `{meta.get('command', '?')}`, commit "
         f"{meta.get('commit', '?')}, {meta.get('date', '?')} UTC; raw data "
         "in `bench/results/pool/`.\n",
         TCG_NOTE + " Each series is its own boot: `rootcache` (enabled, "
         "cache charged to root) and then `pool` (enabled, "
         f"`/sys/kernel/rootcache/target` = a cgroup with `memory.max` "
         f"{limit} MiB; v1: `memory.limit_in_bytes`), with files deleted, "
         "caches dropped and the dying count settled between them.\n",
         f"{meta.get('cycles_params', '')}\n",
         "| series | cycles | ms per cycle, pool (mean ± 95% CI) | "
         "ms per cycle, rootcache | pool / rootcache | pool usage max MiB "
         "(after each job) | pool peak MiB | dying at start | after last "
         "cycle | after sync + 3 s | after ≤ 20 s more |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in pools:
        d = cyc[k]
        s = k.split("/")[0]
        r = cyc.get(f"{s}/rootcache")
        pm = d["cycle_ms_mean_ci"][0]
        rm = r["cycle_ms_mean_ci"][0] if r else None
        peak = d.get("pool_peak_kb")
        L.append(f"| {s} | {d['n']} | {fmt_ci(*d['cycle_ms_mean_ci'], digits=1)} | "
                 + (f"{fmt_ci(*r['cycle_ms_mean_ci'], digits=1)} | "
                    f"{pm / rm:.3f} | " if r and rm else "n/a | n/a | ")
                 + f"{d.get('pool_kb_max', -1) / 1024:.2f} | "
                 + (f"{peak / 1024:.2f}" if peak is not None else "n/a")
                 + f" | {d['dying_base']} | {d['dying_last']} | "
                 f"{d['dying_after_sync']} | {d['dying_late']} |")
    L.append("")
    skipped = sorted({k.split("/")[0] for k in cyc if k.endswith("/rootcache")}
                     - {k.split("/")[0] for k in pools}, key=series_key)
    if skipped:
        L.append("No pool phase on " + ", ".join(skipped) + ": the module "
                 "refuses a target before 5.14 (EOPNOTSUPP; the charge there "
                 "names root only), and the phase is skipped.\n")
    L.append("Pool usage = the pool's `memory.current` (v1 "
             "`memory.usage_in_bytes`) read after every job; pool peak = "
             "`memory.peak` (v1 `memory.max_usage_in_bytes`) at the end, "
             "n/a where the kernel has no such file. Dying as in the table "
             "above. pool / rootcache: ratio of the mean cycle times, above 1 "
             "when jobs are slower with the pool: once the pool is at its "
             "limit, every job's new cache is charged by reclaiming the "
             "pool in the job's own context (memcg direct reclaim), while "
             "root's cache is reclaimed by kswapd in the background. Wall "
             "clock under TCG on a loaded host: compare within a row.\n")
    return L


def verdict(m, h, target=0.99):
    if m is None or h is None:
        return "one repetition only: no interval"
    lo, hi = m - h, m + h
    if lo >= target:
        return f"the interval [{lo:.3f}, {hi:.3f}] lies at or above {target}"
    if hi < target:
        return f"the interval [{lo:.3f}, {hi:.3f}] lies below {target}"
    return (f"the interval [{lo:.3f}, {hi:.3f}] contains {target}: "
            "too wide to tell whether the target is met")


def headline(fill, cyc):
    L = ["## Headline (generated from the tables below)\n"]
    for v, vd in fill.get("variants", {}).items():
        c = vd["configs"].get("enabled")
        if not c or not c.get("ratio_vs_unloaded"):
            continue
        m, h = c["ratio_vs_unloaded"]
        L.append(f"- Fill `{v}`, enabled / not loaded (throughput ratio, "
                 f"target ≥ 0.99): {fmt_ci(m, h)} over {c['n']} "
                 f"repetitions, ratio of medians "
                 f"{c['ratio_of_medians']:.3f}; {verdict(m, h)}.")
    misses = [(n, cd["enabled"]["probe_misses"])
              for n, cd in fill.get("conc", {}).items() if "enabled" in cd]
    if misses:
        L.append("- Probe misses with concurrent readers (target 0): " +
                 ", ".join(f"{n} readers: {x}" for n, x in sorted(
                     misses, key=lambda t: int(t[0]))) + ".")
    for k in sorted(cyc):
        d = cyc[k]
        s, c = k.split("/")
        txt = (f"- Cycles {s} `{c}` (N = {d['n']}): dying {d['dying_base']} "
               f"before, {d['dying_last']} after the last cycle, "
               f"{d['dying_late']} after sync and up to 20 s; Percpu "
               f"{d['percpu_kb_delta']:+d} KiB, Slab "
               f"{d['slab_kb_delta']:+d} KiB")
        if c == "reclaim" and d["reclaim_ms_mean_ci"][0] is not None:
            what = ("memory.force_empty" if s.endswith("-v1")
                    else "memory.reclaim")
            txt += (f"; {what} {d['reclaim_ms_mean_ci'][0]:.0f} ms "
                    "per cycle")
        L.append(txt + ".")
    L.append("")
    return L


def main():
    outdir, doc = sys.argv[1], sys.argv[2]
    with open(os.path.join(outdir, "meta.json")) as f:
        meta = json.load(f)
    fill_rows = load_csv(os.path.join(outdir, "fill.csv"))
    cyc_rows = load_csv(os.path.join(outdir, "cycles.csv"))
    fill = fill_analysis(fill_rows)
    cyc = cycles_analysis(cyc_rows)
    made = plots(outdir, cyc_rows, fill)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"meta": meta, "fill": fill, "cycles": cyc}, f, indent=1,
                  default=str)
    body = md_fill(fill, meta) + md_cycles(cyc, meta)
    pool_section = os.environ.get("BENCH_POOL_SECTION")
    if pool_section:
        with open(pool_section, "w") as f:
            f.write("\n".join(md_pool(cyc, meta)) + "\n")
    with open(os.path.join(outdir, "summary.md"), "w") as f:
        f.write("\n".join(body) + "\n")

    D = ["<!-- generated by bench/run from build/bench/: do not edit by hand "
         "-->", "# rootcache benchmarks", ""]
    D.append(f"Latest run: {meta['date']} UTC, commit `{meta['commit']}`, "
             f"mode **{meta['mode']}**.\n")
    D.append("Reproduce with:\n\n    " + meta["command"] + "\n")
    D.append("Host: " + f"{meta['nproc']} CPUs ({meta['cpu']}), "
             f"{meta['mem']} memory, shared with other work while it ran "
             f"(load average when the guests had finished: {meta['load']}). Guests: "
             "`tests/vm/run` (QEMU TCG, `thread=single`), Debian cloud "
             "kernels, /scratch ext4 on virtio-blk.\n")
    # what else ran on the host meanwhile, written by the operator (optional)
    note = os.path.join(outdir, "note.md")
    if os.path.exists(note):
        D.append("Operator's note: " + open(note).read().strip() + "\n")
    D.append(TCG_NOTE + "\n")
    gs = meta.get("guest_status", {})
    if gs:
        D.append("Guest exit statuses: " + ", ".join(
            f"{k} {v}" + ("" if v == "0" else
                          " (stopped before its end: timed out or ended by "
                          "the operator to meet a deadline; the repetitions "
                          "or cycles finished before are reported)")
            for k, v in sorted(gs.items())) + ".\n")
    if meta["mode"] == "quick":
        D.append("**Quick mode**: fewer repetitions, smaller files and fewer "
                 "cycles than the issue asks for, on one series. The numbers "
                 "are a smoke test of the pipeline, not a result; see "
                 "`bench/run --help` for the full run.\n")
    rel = os.path.relpath(os.path.abspath(outdir),
                          os.path.dirname(os.path.dirname(
                              os.path.abspath(__file__))))
    D.append(f"Raw data: `{rel}/fill.csv`, `{rel}/cycles.csv`, "
             f"`{rel}/results.json`, console logs in `{rel}/logs/`; "
             f"plots: `{rel}/*.png`. The CSV, JSON, summary and plots are "
             "copied to `bench/results/` and committed with this file.\n")
    D += headline(fill, cyc)
    D += body
    for p in made:
        D.append(f"![{p}](../bench/results/{p})\n")
    # the deterministic mode's summary, written by bench/icount-report.py
    # (bench/run --icount), when it exists: side by side, not merged
    icount = os.path.join(os.path.dirname(__file__), "results", "icount",
                          "section.md")
    if os.path.exists(icount):
        D.append(open(icount).read())
    # the cache pool's job cycles (bench/run --pool), likewise
    pool = os.path.join(os.path.dirname(__file__), "results", "pool",
                        "section.md")
    if os.path.exists(pool):
        D.append(open(pool).read())
    D.append("## What is measured\n")
    D.append(open(os.path.join(os.path.dirname(__file__),
                               "METHOD.md")).read())
    with open(doc, "w") as f:
        f.write("\n".join(D).rstrip() + "\n")
    print("\n".join(body))


if __name__ == "__main__":
    main()
