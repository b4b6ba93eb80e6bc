//! The queue's SQL against a real PostgreSQL server (initdb + pg_ctl in a temporary
//! directory): claims, leases, the fence, one proof per chunk, failures and refusals.

mod store;
