//! Push pipelines (Beazley's coroutines). Filled in by the sink work (issue 6).
