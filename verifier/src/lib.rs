//! zkbackup verifier
