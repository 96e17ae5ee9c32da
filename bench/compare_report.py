#!/usr/bin/env python3
"""Writes BENCHMARKS.md and its SVG chart from a bench/compare.sh results
directory (standard library only).

    python3 bench/compare_report.py RESULTS_DIR "kinesd kinesalite ..." BENCHMARKS.md bench/benchmarks.svg
"""

import json
import math
import os
import sys


def read_meta(path):
    meta = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                meta[key] = value
    return meta


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError:
            return None


def phase(report, workload, name=None):
    for r in (report or {}).get("results", []):
        if r["workload"] == workload and (name is None or r["phase"] == name):
            return r
    return None


def failure(report, workload):
    for f in (report or {}).get("failures", []):
        if f["workload"] == workload:
            return f["reason"]
    return None


def p50(result):
    return result["latency"]["p50_ms"] if result and result.get("latency") else None


def fmt_int(v):
    return "-" if v is None else f"{v:,.0f}"


def fmt_ms(v):
    return "-" if v is None else (f"{v:.3f}" if v < 10 else f"{v:.1f}")


def e2e_cell(result):
    """acknowledged -> seen and sent -> seen p50; the first is 0 when the
    consumer sees a record before its PutRecord answer reaches the producer."""
    if not result:
        return "-"
    sent = (result["extra"].get("sent_to_seen") or {}).get("p50_ms")
    return f"{fmt_ms(p50(result))} / {fmt_ms(sent)}"


def machine_cpu(result):
    m = result and result.get("machine_cpu")
    return None if not m else m["busy_percent"]


def short(reason, limit=110):
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 3] + "..."


def survival(results_dir, peer):
    check_report = read_json(f"{results_dir}/{peer}.durability-check.json")
    write_report = read_json(f"{results_dir}/{peer}.durability-write.json")
    write = phase(write_report, "durability-write")
    acked = write["extra"]["acknowledged"] if write else None
    if acked in (None, 0):
        return "not measured (nothing acknowledged before the kill)", None
    reason = failure(check_report, "durability-check")
    if reason:
        if "ResourceNotFound" in reason:
            return f"no: the stream is gone after the restart (0 of {acked:,} acknowledged records)", acked
        return f"no: {short(reason, 80)}", acked
    check = phase(check_report, "durability-check")
    if not check or not check.get("check"):
        return "not measured", acked
    counts = check["check"]["counts"]
    lost = counts["missing"] + counts["corrupted"]
    if lost == 0 and counts["matched"] == acked:
        return f"yes ({counts['matched']:,} of {acked:,})", acked
    return f"no: lost {lost:,} of {acked:,} acknowledged records", acked


def peer_row(results_dir, peer):
    meta = read_meta(f"{results_dir}/{peer}.meta")
    report = read_json(f"{results_dir}/{peer}.json")
    push_report = read_json(f"{results_dir}/{peer}.push.json")
    batch = phase(report, "put-batch", "write")
    drain = phase(report, "drain", "read")
    single = phase(report, "put-single", "c=1")
    single16 = phase(report, "put-single", "c=16")
    poll = phase(report, "e2e-poll")
    push = phase(push_report, "e2e-push")
    notes = []
    for workload, rep in [("put-batch", report), ("drain", report), ("put-single", report), ("e2e-poll", report)]:
        reason = failure(rep, workload)
        if reason:
            notes.append(f"{workload} failed: {short(reason)}")
    if drain and drain.get("check") and not drain["check"]["passed"]:
        c = drain["check"]["counts"]
        notes.append(
            f"drain check FAILED: {c['missing']:,} of {c['acknowledged']:,} acknowledged records missing, "
            f"{c['duplicated']:,} duplicated, {c['out_of_order']:,} out of order, {c['corrupted']:,} corrupted"
        )
    push_reason = None if push else failure(push_report, "e2e-push") or "not run"
    if push_reason:
        notes.append(f"e2e-push not available: {short(push_reason)}")
    survives, _ = survival(results_dir, peer)
    if "error" in meta:
        notes.append(meta["error"])
    return {
        "peer": peer,
        "meta": meta,
        "report": report,
        "push_report": push_report,
        "batch": batch,
        "drain": drain,
        "single": single,
        "single16": single16,
        "poll": poll,
        "push": push,
        "survives": survives,
        "notes": notes,
    }


def main_table(rows):
    head = (
        "| peer | put-batch rec/s | put-batch MB/s | put-single p50 ms (c=1 / c=16) | drain rec/s | drain check "
        "| e2e-poll p50 ms (ack / sent -> seen) | e2e-push p50 ms (ack / sent -> seen) | startup ms | RSS MB idle / after load | survives kill -9 "
        "| machine CPU % (put-batch / drain) |"
    )
    out = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in rows:
        m = r["meta"]
        drain_check = "-"
        if r["drain"] and r["drain"].get("check"):
            drain_check = "ok" if r["drain"]["check"]["passed"] else "FAILED"
        out.append(
            "| "
            + " | ".join(
                [
                    m.get("version", r["peer"]),
                    fmt_int(r["batch"] and r["batch"]["records_per_second"]),
                    "-" if not r["batch"] else f"{r['batch']['mb_per_second']:.1f}",
                    f"{fmt_ms(p50(r['single']))} / {fmt_ms(p50(r['single16']))}",
                    fmt_int(r["drain"] and r["drain"]["records_per_second"]),
                    drain_check,
                    e2e_cell(r["poll"]),
                    e2e_cell(r["push"]) if r["push"] else "n/a",
                    m.get("startup_ms", "-"),
                    f"{m.get('rss_idle_mb', '-')} / {m.get('rss_after_load_mb', '-')}",
                    r["survives"],
                    f"{fmt_int(machine_cpu(r['batch']))} / {fmt_int(machine_cpu(r['drain']))}",
                ]
            )
            + " |"
        )
    return "\n".join(out)


def detail_table(rows):
    out = [
        "| peer | workload | phase | records/s | MB/s | p50 ms | p99 ms | p99.9 ms | errors | throttled "
        "| bench CPU % | server CPU % | machine CPU % | server RSS MB |",
        "|" + "|".join(["---"] * 14) + "|",
    ]
    for r in rows:
        for rep in (r["report"], r["push_report"]):
            for p in (rep or {}).get("results", []):
                lat = p.get("latency") or {}
                cpu = lambda k, f: "-" if not p.get(k) else f"{p[k][f]:.0f}"  # noqa: E731
                out.append(
                    "| "
                    + " | ".join(
                        [
                            r["peer"],
                            p["workload"],
                            p["phase"],
                            fmt_int(p["records_per_second"]),
                            f"{p['mb_per_second']:.1f}",
                            fmt_ms(lat.get("p50_ms")),
                            fmt_ms(lat.get("p99_ms")),
                            fmt_ms(lat.get("p999_ms")),
                            str(p["errors"]),
                            str(p["throttled_records"]),
                            cpu("bench_cpu", "cpu_percent"),
                            cpu("server_cpu", "cpu_percent"),
                            "-" if not p.get("machine_cpu") else f"{p['machine_cpu']['busy_percent']:.0f}",
                            "-" if not p.get("server_cpu") else f"{p['server_cpu']['rss_mb']:.1f}",
                        ]
                    )
                    + " |"
                )
    return "\n".join(out)


def throttle_section(results_dir):
    report = read_json(f"{results_dir}/throttle.json")
    write = phase(report, "throttle")
    drain = phase(report, "drain", "read")
    meta = read_meta(f"{results_dir}/kinesd-aws-limits.meta")
    if not write:
        return "The throttle check did not run.\n"
    e = write["extra"]
    lines = [
        f"`{meta.get('command', 'kinesd serve --limits aws')}`, then "
        f"`kinesd-bench --workload throttle --seconds 10` (one shard, PutRecords of {e['batch']} x "
        f"{e['record_bytes']} B every 100 ms):",
        "",
        f"- offered: {e['offered_records_per_second']:,.0f} records/s ({e['offered_records']:,} records), "
        f"{write['throttled_records'] / max(1, e['offered_records']) * 100:.0f}% of them refused with "
        f"ProvisionedThroughputExceededException ({write['throttled_records']:,} records, counted, never retried);",
        f"- delivered after the first second (the shard's bucket starts full): "
        f"{e['steady_records_per_second']:,.0f} records/s against a limit of {e['limit_records_per_second']:,.0f} "
        f"(ratio {e['delivered_ratio']:.2f}); over the whole {write['seconds']:.1f} s: "
        f"{write['records_per_second']:,.0f} records/s;",
    ]
    if drain and drain.get("check"):
        c = drain["check"]["counts"]
        lines.append(
            f"- drain check: {'passed' if drain['check']['passed'] else 'FAILED'}: {c['matched']:,} of "
            f"{c['acknowledged']:,} acknowledged records read back once, in order, byte-identical "
            f"({c['missing']} missing, {c['duplicated']} duplicated, {c['unacknowledged']} unacknowledged); "
            f"the drain itself ran at {drain['records_per_second']:,.0f} records/s under the read limits "
            f"({drain['throttled_records']} throttled GetRecords calls)."
        )
    verdict = failure(report, "throttle")
    lines.append(f"- verdict: {'FAILED: ' + verdict if verdict else 'the shard delivers its limit and loses nothing'}.")
    return "\n".join(lines) + "\n"


# ---- chart -----------------------------------------------------------------

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def svg_chart(rows, path):
    panels = [
        ("put-batch records/s (more is better)", lambda r: r["batch"] and r["batch"]["records_per_second"]),
        ("drain records/s (more is better)", lambda r: r["drain"] and r["drain"]["records_per_second"]),
        ("put-single p50 ms, c=1 (less is better)", lambda r: p50(r["single"])),
        ("e2e-poll p50 ms (less is better)", lambda r: p50(r["poll"])),
    ]
    label_w, bar_w, bar_h, gap, panel_gap, top = 190, 420, 18, 6, 44, 40
    panel_h = len(rows) * (bar_h + gap) + 30
    width = label_w + bar_w + 110
    height = top + len(panels) * (panel_h + panel_gap)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="22" font-size="15" font-weight="bold">kinesd and its peers '
        "(same client, same machine, log scale)</text>",
    ]
    y = top
    for title, value in panels:
        values = [(r, value(r)) for r in rows]
        present = [v for _, v in values if v]
        out.append(f'<text x="10" y="{y + 12}" font-weight="bold">{title}</text>')
        y += 22
        if not present:
            out.append(f'<text x="{label_w}" y="{y + 12}">no data</text>')
            y += panel_h - 22 + panel_gap
            continue
        lo = 10 ** math.floor(math.log10(min(present)))
        hi = 10 ** math.ceil(math.log10(max(present) * 1.0001))
        if hi <= lo:
            hi = lo * 10
        scale = lambda v: bar_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))  # noqa: E731
        decade = lo
        while decade <= hi:
            x = label_w + scale(decade)
            out.append(
                f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + len(rows) * (bar_h + gap)}" stroke="#ddd"/>'
            )
            out.append(
                f'<text x="{x:.1f}" y="{y + len(rows) * (bar_h + gap) + 12}" text-anchor="middle" '
                f'fill="#555">{decade:g}</text>'
            )
            decade *= 10
        for i, (r, v) in enumerate(values):
            by = y + i * (bar_h + gap)
            name = r["meta"].get("version", r["peer"])
            out.append(f'<text x="{label_w - 6}" y="{by + 13}" text-anchor="end">{escape(name)}</text>')
            if v:
                w = max(1.0, scale(v))
                out.append(
                    f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"/>'
                )
                text = f"{v:,.0f}" if v >= 100 else f"{v:.3g}"
                out.append(f'<text x="{label_w + w + 4:.1f}" y="{by + 13}">{text}</text>')
            else:
                out.append(f'<text x="{label_w + 4}" y="{by + 13}" fill="#888">n/a</text>')
        y += panel_h - 22 + panel_gap
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- document --------------------------------------------------------------


def main():
    results_dir, peers, md_path, svg_path = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
    machine = read_meta(f"{results_dir}/machine.meta")
    rows = [peer_row(results_dir, p) for p in peers]
    svg_chart([r for r in rows if r["report"]], svg_path)
    seconds = machine.get("phase_seconds", "5")
    commands = []
    for r in rows:
        if "command" in r["meta"]:
            commands.append(f"- {r['peer']}: `{r['meta']['command']}`")
        elif "error" in r["meta"]:
            commands.append(f"- {r['peer']}: not run: {r['meta']['error']}")
    notes = [f"- {r['peer']}: {n}" for r in rows for n in r["notes"]]
    doc = f"""# Benchmarks: kinesd and its peers

Generated by `bench/compare.sh` (do not edit by hand; re-run it). Every
server ran alone on 127.0.0.1, one after the other, driven by the same
client, `kinesd-bench` (crates/bench, see bench/README.md), on the same
machine. The client shares the machine's cores with the server, so the
fastest figures are bounded by the two of them together: the bench's and
the server's CPU are in the details below, beside the whole machine's
(machine CPU above bench + server means another process was running).

![throughput and latency per peer](bench/benchmarks.svg)

## Machine

| | |
|---|---|
| cores | {machine.get('cores', '-')} ({machine.get('cpu', '-')}) |
| memory | {machine.get('memory', '-')} |
| kernel | {machine.get('kernel', '-')} |
| disk (data directories) | {machine.get('disk', '-')} |
| load average before / after | {machine.get('load_before', '-')} / {machine.get('load_after', '-')} |
| measured | {machine.get('date', '-')} |

## Results

Each load phase ran {seconds} s; put-batch is PutRecords of 500 x 1 KiB
random records over 8 connections on 4 shards; drain reads that stream back
from TRIM_HORIZON (GetRecords, Limit 10,000, one reader per shard) and checks
that every acknowledged record comes back once, in order, byte-identical;
put-single is PutRecord at concurrency 1 and 16; e2e-poll and e2e-push send
one record every 10 ms and measure acknowledged -> seen by a GetRecords
poller and by a SubscribeToShard consumer. MB are 10^6 bytes of record data.

{main_table(rows)}

- startup: from spawning the process to its first successful ListStreams
  (polled every 2 ms), on an empty data directory.
- e2e: acknowledged -> seen is the issue's figure; it is about 0 when the
  consumer sees a record before the producer has read its PutRecord answer
  (counted as `seen_before_ack` in the JSON), so sent -> seen is beside it.
- RSS: VmRSS from /proc, 1 s after startup and after all the load phases.
- kill -9: `durability-write` runs put-batch into a kept stream; 3 s into
  it the server gets SIGKILL; it is restarted on the same data directory and
  `durability-check` drains the stream: "yes" means every acknowledged
  record was read back. A kill loses nothing in the page cache, so this
  checks the process, not the disk: durability `always` (fsync before the
  answer) is kinesd's answer to power loss, which this does not simulate.
{os.linesep.join(notes) if notes else ''}

## Throttling (kinesd with its default AWS limits)

{throttle_section(results_dir)}
## Commands

The whole comparison (installs the peers into /tmp/kinesd-peers, outside
the repo, on first use; `cargo install ferrokinesis` takes several minutes):

```sh
bench/compare.sh                      # PHASE_SECONDS={seconds}; PEERS="kinesd kinesalite ..." picks some
```

Per peer it ran, with ENDPOINT the peer's address and PID its process:

```sh
kinesd-bench --endpoint ENDPOINT --wait-ready-seconds 90          # startup time
kinesd-bench --endpoint ENDPOINT --workload put-batch,drain,put-single,e2e-poll --seconds {seconds} --server-pid PID --json PEER.json
kinesd-bench --endpoint ENDPOINT --workload e2e-push --seconds {seconds} --server-pid PID --json PEER.push.json
kinesd-bench --endpoint ENDPOINT --workload durability-write --seconds 6 --durability-file acked.json &  # kill -9 PID after 3 s, restart
kinesd-bench --endpoint ENDPOINT --workload durability-check --durability-file acked.json
kinesd-bench --endpoint ENDPOINT --workload throttle --seconds 10                                      # kinesd --limits aws only
```

The servers:

{os.linesep.join(commands)}

## Details (every phase)

{detail_table(rows)}
"""
    with open(md_path, "w") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
