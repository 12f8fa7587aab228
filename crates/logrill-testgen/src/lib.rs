//! Deterministic access-log trees with ground truth (filled in next).
