#!/usr/bin/env python3
"""Throughput of `wfc serve` on loopback (standard library only).

Starts `wfc serve` on a free port with a fresh state file, deploys `benches/serve/` (a workflow of
13 sequential worker tasks, the shape Orkes quotes ~200 workflows/s for on one node) with
`wfc deploy`, then measures:

1. workflow starts per second: CLIENTS threads POST /api/workflow until WORKFLOWS are started;
2. task poll→update round trips per second: WORKERS threads each poll /api/tasks/poll/step and
   POST /api/tasks (COMPLETED) until all WORKFLOWS × 13 tasks are done, which also gives completed
   workflows per second.

Usage: benches/serve.py WFC_BINARY [WORKFLOWS] [CLIENTS] [WORKERS]
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

STEPS = 13


def request(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method)) as response:
        return response.status, response.read()


def run_threads(count, target):
    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main():
    wfc = sys.argv[1]
    workflows = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    project = os.path.join(os.path.dirname(os.path.abspath(__file__)), "serve")
    with tempfile.TemporaryDirectory() as state:
        server = subprocess.Popen(
            [wfc, "serve", "--port", "0", "--state", os.path.join(state, "serve.sqlite3")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            base = next(word for word in server.stderr.readline().split() if word.startswith("http://"))
            subprocess.run([wfc, "deploy", project, "--server", base], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            api = base + "/api"

            counter = {"started": 0, "done": 0}
            ids = []
            lock = threading.Lock()

            def start(_):
                while True:
                    with lock:
                        if counter["started"] >= workflows:
                            return
                        counter["started"] += 1
                    _, body = request("POST", api + "/workflow",
                                      {"name": "thirteen_steps", "version": 1, "input": {}})
                    with lock:
                        ids.append(body.decode().strip('"'))

            start_seconds = run_threads(clients, start)

            total = workflows * STEPS

            def work(index):
                while True:
                    with lock:
                        if counter["done"] >= total:
                            return
                    status, body = request("GET", f"{api}/tasks/poll/step?workerid=bench-{index}")
                    if status != 200 or not body:
                        continue
                    task = json.loads(body)
                    request("POST", api + "/tasks", {
                        "taskId": task["taskId"],
                        "workflowInstanceId": task["workflowInstanceId"],
                        "status": "COMPLETED",
                        "outputData": {"n": task["inputData"].get("n", 0)},
                    })
                    with lock:
                        counter["done"] += 1

            work_seconds = run_threads(workers, work)
            # Every workflow must have completed with the 13th step's output (outside the timing).
            for workflow_id in ids:
                _, body = request("GET", f"{api}/workflow/{workflow_id}?includeTasks=false")
                workflow = json.loads(body)
                if workflow["status"] != "COMPLETED":
                    sys.exit(f"workflow {workflow_id} is {workflow['status']}, not COMPLETED")
            print(f"{workflows} starts with {clients} clients: {start_seconds:.2f} s, "
                  f"{workflows / start_seconds:.0f} workflows started/s")
            print(f"{total} poll→update round trips with {workers} workers: {work_seconds:.2f} s, "
                  f"{total / work_seconds:.0f} round trips/s, "
                  f"{workflows / work_seconds:.1f} 13-step workflows completed/s")
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
