"""pandas peer for the ingest benchmark: read one CSV with pandas.read_csv (C engine, default
type inference) and print the seconds it took, the shape and the process's peak RSS."""
import json
import resource
import sys
import time

import pandas as pd

started = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds,
    "rows": int(frame.shape[0]),
    "columns": int(frame.shape[1]),
    "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "pandas": pd.__version__,
}))
