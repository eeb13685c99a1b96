"""What the people who run the engine watch: Prometheus metrics of the engine (this package) beside the Temporal
SDK's own runtime metrics (adapters/engine/temporal.py, STO_TEMPORAL_METRICS_ADDRESS)."""
