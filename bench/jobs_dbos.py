"""DBOS 3.4 for comparison with bench/jobs.py (docs/jobs.md): enqueue cost and throughput of no-op workflows.
Not a Quire dependency: run it in a scratch virtualenv,
    python3 -m venv /tmp/dbos && /tmp/dbos/bin/pip install dbos==3.4.0
    /tmp/dbos/bin/python bench/jobs_dbos.py sqlite:////tmp/dbos.db 1000   # or a postgresql:// URL
"""
import sys, time, statistics, tempfile, uuid
from dbos import DBOS, Queue

url = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
DBOS(config={"name": "bench", "system_database_url": url})

@DBOS.workflow()
def noop(t=None):
    return t

DBOS.launch()
DBOS.register_queue("bench", worker_concurrency=64, polling_interval_sec=0.05)
queue = DBOS.retrieve_queue("bench")
costs = []
for _ in range(300):
    t0 = time.perf_counter(); queue.enqueue(noop); costs.append(time.perf_counter() - t0)
print(f"enqueue (own transaction): median {statistics.median(costs)*1e6:.0f} µs")
handles = []
t0 = time.perf_counter()
for _ in range(N):
    handles.append(queue.enqueue(noop))
for h in handles:
    h.get_result()
el = time.perf_counter() - t0
print(f"{N} no-op workflows enqueued and completed by one process: {el:.2f} s = {N/el:.0f}/s")
lat = []
for _ in range(30):
    t = time.time(); h = queue.enqueue(noop, t); h.get_result()
    st = h.get_status()
    lat.append((st.updated_at/1000 if st.updated_at else time.time()) - t)
print(f"enqueue→done latency: median {statistics.median(lat)*1000:.0f} ms")
DBOS.destroy()
