"""`emotune serve`: a small HTTP service over one `Scorer` (a run dir in torch, or an ONNX export), loaded once,
with concurrent requests scored together in micro-batches and every limit a setting."""
