"""Adds up the connections step of ops/bench-suite.sh --nodes N: OUT/connections-node{1..N}.json (one client process per
node, run at the same time) into OUT/connections.json, in the single-node schema plus "nodes" (each node's own report),
and prints the step's markdown.

    python3 ops/lib/combine-connections.py OUT N

Sums: sockets requested, connected, held and dropped; heartbeats; errors; RSS (idle, before, held). Memory per
connection is the nodes' RSS above their own idle RSS over the sockets held. The rate is all connections over the
slowest node's connect time (the clients start together). Latency percentiles are the worst node's: a conservative
stand-in, since percentiles of different nodes cannot be merged from their summaries.
"""
import json
import os
import sys

out, nodes = sys.argv[1], int(sys.argv[2])
reports = []
for n in range(1, nodes + 1):
    path = f"{out}/connections-node{n}.json"
    if not os.path.exists(path) or not os.path.getsize(path):
        sys.exit(f"node {n}: no report ({path}); see {out}/connections-node{n}.log")
    reports.append(json.load(open(path))["connections"])


def total(values):
    values = list(values)
    return None if any(v is None for v in values) else round(sum(values), 1)


def worst(summaries):
    keys = summaries[0].keys()
    merged = {k: max(s[k] for s in summaries) for k in keys if k not in ("count", "mean")}
    merged["count"] = sum(s["count"] for s in summaries)
    merged["mean"] = round(sum(s["mean"] * s["count"] for s in summaries) / max(1, merged["count"]), 2)
    return merged


def per_connection(node_rounds, held_key, idle):
    """(RSS held − idle RSS) summed over the nodes, per socket still open."""
    held = [r[held_key] for r in node_rounds]
    if any(h is None for h in held) or any(i is None for i in idle):
        return None
    still_open = sum(r["connected"] - r["dropped"] for r in node_rounds)
    return round(sum(h - i for h, i in zip(held, idle)) * 1024 * 1024 / still_open) if still_open else None


idle = [r["serverRssMiBIdle"] for r in reports]
rounds = []
for index in range(min(len(r["rounds"]) for r in reports)):
    node_rounds = [r["rounds"][index] for r in reports]
    connected = sum(r["connected"] for r in node_rounds)
    seconds = max(r["connectSeconds"] for r in node_rounds)
    errors_by_kind = {}
    for r in node_rounds:
        for kind, count in r["errorsByKind"].items():
            errors_by_kind[kind] = errors_by_kind.get(kind, 0) + count
    rounds.append({
        "round": node_rounds[0]["round"],
        "requested": sum(r["requested"] for r in node_rounds),
        "connected": connected,
        "connectSeconds": seconds,
        "connectsPerSecond": round(connected / seconds, 1) if seconds else None,
        "handshakeMs": worst([r["handshakeMs"] for r in node_rounds]),
        "heartbeats": sum(r["heartbeats"] for r in node_rounds),
        "heartbeatMs": worst([r["heartbeatMs"] for r in node_rounds]),
        "dropped": sum(r["dropped"] for r in node_rounds),
        "serverRssMiBBefore": total(r["serverRssMiBBefore"] for r in node_rounds),
        "serverRssMiBHeld": total(r["serverRssMiBHeld"] for r in node_rounds),
        "serverRssMiBHeldMin": total(r["serverRssMiBHeldMin"] for r in node_rounds),
        "serverRssMiBHeldMax": total(r["serverRssMiBHeldMax"] for r in node_rounds),
        "rssSamplesHeld": min(r["rssSamplesHeld"] for r in node_rounds),
        "bytesPerConnection": per_connection(node_rounds, "serverRssMiBHeld", idle),
        "bytesPerConnectionMin": per_connection(node_rounds, "serverRssMiBHeldMin", idle),
        "bytesPerConnectionMax": per_connection(node_rounds, "serverRssMiBHeldMax", idle),
        "clientRssMiBHeld": total(r["clientRssMiBHeld"] for r in node_rounds),
        "errors": sum(r["errors"] for r in node_rounds),
        "errorsByKind": errors_by_kind,
    })

combined = {
    "connections": sum(r["connections"] for r in reports),
    "targetConnectRate": round(sum(r["targetConnectRate"] for r in reports), 1),
    "heartbeatSeconds": reports[0]["heartbeatSeconds"],
    "holdSeconds": reports[0]["holdSeconds"],
    "sourceAddresses": max(r["sourceAddresses"] for r in reports),
    "serverRssMiBIdle": total(idle),
    "nodes": len(reports),
    "rounds": rounds,
    "perNode": reports,
}
json.dump({"scenario": "connections", "connections": combined}, open(f"{out}/connections.json", "w"), indent=2)


def fmt(x, spec=",.0f"):
    return "–" if x is None else format(x, spec)


print(f"**Connections over {nodes} nodes** ({combined['connections']:,} charge points, one client process per node, all at once; "
      f"Basic auth, target {fmt(combined['targetConnectRate'])}/s in all, heartbeat every {combined['heartbeatSeconds']:g} s, "
      f"held {combined['holdSeconds']:g} s); server RSS idle {fmt(combined['serverRssMiBIdle'], ',.1f')} MiB over the nodes "
      f"({', '.join(fmt(i, '.1f') for i in idle)}).")
print()
print("| round | node | connected | connects/s | handshake p50 / p99 / max (ms) | heartbeats | heartbeat p50 / p99 (ms) | dropped "
      "| server RSS held, median (min–max) MiB | bytes/connection, median (min–max) | server CPU connect / hold | errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for index, r in enumerate(rounds):
    rows = [(str(n + 1), report["rounds"][index]) for n, report in enumerate(reports)] + [("**all**", r)]
    for node, x in rows:
        cpu = (f"{fmt(x['connectCpu']['serverPercentOfOneCore'])} % / {fmt(x['holdCpu']['serverPercentOfOneCore'])} %"
               if "connectCpu" in x else "–")
        worst_note = " (worst node)" if node == "**all**" else ""
        print(f"| {r['round']} | {node} | {x['connected']:,} of {x['requested']:,} | {fmt(x['connectsPerSecond'])} | "
              f"{x['handshakeMs']['p50']} / {x['handshakeMs']['p99']} / {x['handshakeMs']['max']}{worst_note} | {x['heartbeats']:,} | "
              f"{x['heartbeatMs']['p50']} / {x['heartbeatMs']['p99']}{worst_note} | {x['dropped']} | "
              f"{fmt(x['serverRssMiBHeld'], ',.1f')} ({fmt(x['serverRssMiBHeldMin'], ',.1f')}–{fmt(x['serverRssMiBHeldMax'], ',.1f')}) | "
              f"{fmt(x['bytesPerConnection'])} ({fmt(x['bytesPerConnectionMin'])}–{fmt(x['bytesPerConnectionMax'])}) | {cpu} | {x['errors']} |")
