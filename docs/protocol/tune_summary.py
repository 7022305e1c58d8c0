# Summarises the finished runs of an unfinished protocol stage (the protocol writes tuning.csv or final.csv when the
# stage ends): candidate, intervals, training seconds, examples/s, best validation top-10 error (earliest tie).
import json, os, sys
root = sys.argv[1]
print("candidate,intervals,train_seconds,examples_per_s,best_valid_top10,best_interval,valid_top1_at_best,valid_mrr_at_best")
for d in sorted(os.listdir(root)):
    f = os.path.join(root, d, 'done.json')
    if not os.path.exists(f):
        continue
    h = json.load(open(f))
    best = min(range(len(h)), key=lambda i: (h[i]['metrics']['topKError']['10'], i)) if h else None
    secs = sum(r['seconds'] for r in h)
    eps = sum(r['examplesPerSecond'] * r['seconds'] for r in h) / secs if secs else 0
    b = h[best]['metrics'] if h else {}
    print(f"{d},{len(h)},{secs:.1f},{eps:.0f},{b['topKError']['10']:.5f},{best+1},{b['topKError']['1']:.5f},{b['mrr']:.5f}" if h else f"{d},0,0,0,diverged,,,")
