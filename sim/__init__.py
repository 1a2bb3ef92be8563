"""The simulation harness: virtual clock, workloads, ingestion models, metrics, costs and reports."""
