from emotune.callbacks.run_summary import RunSummary

__all__ = ["RunSummary"]
