"""The ring all-reduce, simulated in NumPy, and the cost model it leads to.

N ranks sit on a ring; rank r sends only to rank r + 1 (mod N). Each rank cuts its array of M
bytes into N chunks. Then:

1. **reduce-scatter**, N - 1 steps: at step s, rank r sends chunk (r - s) mod N to its neighbour,
   who adds it to its own copy of that chunk. After N - 1 steps rank r holds the complete sum of
   chunk (r + 1) mod N: every chunk is finished somewhere.
2. **all-gather**, N - 1 steps: the finished chunks travel once more around the ring, each
   overwriting the stale copies, until every rank has every summed chunk.

Every step, every link carries one chunk of M / N bytes, all links at once. A rank sends
2 (N - 1) chunks, so the time is

    T(N, M) = 2 (N - 1) / N * M / B  +  2 (N - 1) * alpha

with B the bandwidth of one link and alpha the latency of one message. The first term tends to
2 M / B as N grows: the bytes per rank barely grow with the number of ranks, which is why data
parallelism scales to thousands of GPUs. The second grows with N, which is why large clusters
switch to trees (log N latency) for small messages.
"""
import numpy


def ring_all_reduce(arrays):
    """Sum ``arrays`` (one per rank, equal shapes) the way a ring of ``len(arrays)`` ranks would.

    Returns ``(results, log)``: each rank's result (all equal to the sum), and one entry per
    message, ``(phase, step, sender, receiver, chunk)``, for drawing the algorithm.
    """
    n = len(arrays)
    chunks = [numpy.array_split(numpy.array(a, dtype=float).ravel(), n) for a in arrays]
    log = []
    for phase, combine in (('reduce-scatter', numpy.add), ('all-gather', lambda mine, sent: sent)):
        first = 0 if phase == 'reduce-scatter' else 1      # all-gather starts from the finished chunk
        for step in range(n - 1):
            # all sends of one step happen at once: read every outgoing chunk before any arrives
            outgoing = [(r, (r + first - step) % n) for r in range(n)]
            sent = [chunks[r][c].copy() for r, c in outgoing]
            for (r, c), data in zip(outgoing, sent):
                receiver = (r + 1) % n
                chunks[receiver][c] = combine(chunks[receiver][c], data)
                log.append((phase, step, r, receiver, c))
    shape = numpy.shape(arrays[0])
    return [numpy.concatenate(c).reshape(shape) for c in chunks], log


def ring_all_reduce_time(n_ranks, nbytes, bandwidth, latency):
    """Seconds for a ring all-reduce of ``nbytes`` over ``n_ranks``: 2(N-1)/N M/B + 2(N-1) alpha."""
    if n_ranks == 1:
        return 0.0
    return 2 * (n_ranks - 1) / n_ranks * nbytes / bandwidth + 2 * (n_ranks - 1) * latency


def fit_ring_model(n_ranks, nbytes, seconds):
    """``(bandwidth, latency)`` that fit measured all-reduce times of ``n_ranks`` ranks to the model
    above. The time is a straight line in the message size, whose intercept is 2 (N - 1) alpha and
    whose slope is 2 (N - 1) / (N B); the line is fitted to *relative* errors (weights 1 / t), so
    the small messages, which fix alpha, count as much as the large ones, which fix B."""
    seconds = numpy.asarray(seconds, float)
    slope, intercept = numpy.polyfit(numpy.asarray(nbytes, float), seconds, 1, w=1 / seconds)
    steps = 2 * (n_ranks - 1)
    return steps / n_ranks / slope, max(intercept, 0.0) / steps
