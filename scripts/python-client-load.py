"""A second client for the imitation, to tell the server's cost from the HTTP client's (docs/benchmarks.md).

64 threads, each with its own kept-alive connection, send chat requests to the imitation for 4 seconds and
print the mean latency and the request rate. Usage: python-client-load.py PORT
"""
import http.client
import json
import sys
import threading
import time

port = int(sys.argv[1])
body = json.dumps({"model": "teamllm/sim-small", "messages": [{"role": "user", "content": "hi"}], "seed": 3, "max_tokens": 100})
headers = {"Authorization": "Bearer sk-or-v1-imitation", "Content-Type": "application/json"}
latencies, lock = [], threading.Lock()


def worker():
    connection = http.client.HTTPConnection("127.0.0.1", port)
    end = time.time() + 4
    while time.time() < end:
        start = time.time()
        connection.request("POST", "/api/v1/chat/completions", body, headers)
        connection.getresponse().read()
        with lock:
            latencies.append(time.time() - start)


threads = [threading.Thread(target=worker) for _ in range(64)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"python client, 64 connections: {len(latencies)} requests, mean {sum(latencies) / len(latencies) * 1000:.0f} ms, "
      f"{len(latencies) / 4:.0f} requests/s")
