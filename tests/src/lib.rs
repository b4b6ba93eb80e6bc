//! End-to-end and cross-implementation tests live in tests/.
