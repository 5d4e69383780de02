#!/usr/bin/python3
"""The same vectors and queries as ServerBenchmark, searched with FAISS (a well-known vector search library), for
comparison. ServerBenchmark runs this itself with its `faiss` argument; by hand:

    faiss_baseline.py DIR DIMENSION [M EF_CONSTRUCTION EF_SEARCH]

DIR holds vectors.f32 and queries.f32 (little-endian float32, row after row, unit length). Inner product on unit
vectors is cosine, the metric of the index. Needs FAISS and NumPy for Debian's Python:
`apt-get install python3-faiss` (it brings python3-numpy).
"""
import os
import sys
import time

import faiss
import numpy as np

K = 10


def per_second(fn, queries, min_seconds=5.0):
    """Queries per second of fn(one query), one query at a time, repeated for at least min_seconds."""
    done = 0
    start = time.perf_counter()
    while True:
        for q in queries:
            fn(q.reshape(1, -1))
            done += 1
        if time.perf_counter() - start >= min_seconds:
            return done / (time.perf_counter() - start)


def batched(index, queries, min_seconds=5.0):
    """Queries per second when all queries go in one call (FAISS spreads a batch over its threads)."""
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        index.search(queries, K)
        done += len(queries)
    return done / (time.perf_counter() - start)


def main():
    folder, dim = sys.argv[1], int(sys.argv[2])
    m, ef_construction, ef_search = (int(x) for x in (sys.argv[3:6] or (16, 100, 100)))
    # Mapped, not read: FAISS copies the vectors into each index, and a million of the default model's are 7 GB.
    vectors = np.memmap(os.path.join(folder, "vectors.f32"), dtype="<f4", mode="r").reshape(-1, dim)
    queries = np.fromfile(os.path.join(folder, "queries.f32"), dtype="<f4").reshape(-1, dim)
    print(f"faiss {faiss.__version__}, numpy {np.__version__}, {faiss.omp_get_max_threads()} threads, "
          f"{len(vectors):,} vectors, {len(queries)} queries, k={K}")

    flat = faiss.IndexFlatIP(dim)
    flat.add(vectors)
    _, truth = flat.search(queries, K)
    exact_one = per_second(lambda q: flat.search(q, K), queries[:20])
    exact_batch = batched(flat, queries)
    del flat

    start = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = ef_construction
    hnsw.add(vectors)
    build = time.perf_counter() - start
    hnsw.hnsw.efSearch = ef_search
    _, found = hnsw.search(queries, K)
    recall = np.mean([len(set(found[i]) & set(truth[i])) / K for i in range(len(queries))])
    approx_one = per_second(lambda q: hnsw.search(q, K), queries)
    approx_batch = batched(hnsw, queries)

    print(f"faiss IndexHNSWFlat (M={m}, efConstruction={ef_construction}, efSearch={ef_search}) built in "
          f"{build:.1f} s ({build * 1e6 / len(vectors):.1f} s per million)")
    print("faiss mode       | one query per call, queries/s | a batch per call, queries/s")
    print(f"exact (flat)     | {exact_one:29.1f} | {exact_batch:27.1f}")
    print(f"approximate      | {approx_one:29.1f} | {approx_batch:27.1f}")
    print(f"faiss recall@10 of HNSW against flat ({len(queries)} queries): {recall:.3f}")


if __name__ == "__main__":
    main()
