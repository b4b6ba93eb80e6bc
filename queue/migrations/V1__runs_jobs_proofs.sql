-- zkbackup distributed proving, schema version 1 (docs/DISTRIBUTED.md).
-- Applied by the binary (refinery, embedded) before any other statement; never edit a
-- migration that has shipped: add V2__… instead.

-- One run per (backup, proving keys): the identity is the same as a local run's checkpoint
-- directory (circuit id, state root, backup commitment, key commitment, chunk count).
CREATE TABLE zkb_runs (
    id             BIGSERIAL PRIMARY KEY,
    run_key        TEXT NOT NULL UNIQUE,
    circuit_id     TEXT NOT NULL,
    key_commitment TEXT NOT NULL,
    arity          INTEGER NOT NULL CHECK (arity > 0),
    chunk_size     INTEGER NOT NULL CHECK (chunk_size > 0),
    chunks         INTEGER NOT NULL CHECK (chunks > 0),
    max_attempts   INTEGER NOT NULL CHECK (max_attempts > 0),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at    TIMESTAMPTZ
);

-- One job per chunk to prove. `attempts` counts claims and doubles as the lease token (the
-- fence): a worker completes or fails a job only while `attempts` is still the value its
-- claim returned and the job is still leased.
CREATE TABLE zkb_jobs (
    run_id        BIGINT NOT NULL REFERENCES zkb_runs (id) ON DELETE CASCADE,
    chunk         INTEGER NOT NULL CHECK (chunk >= 0),
    state         TEXT NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'leased', 'done', 'failed')),
    -- The chunk's nonce (u128, decimal), ciphertext (32-byte big-endian elements, the
    -- backup file's encoding), plaintext length (elements) and the public values its proof
    -- must have (5 × 32 bytes, the circuit's order). No plaintext.
    nonce         TEXT NOT NULL,
    length        INTEGER NOT NULL CHECK (length > 0),
    ciphertext    BYTEA NOT NULL,
    public_inputs BYTEA NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    leased_by     TEXT,
    lease_expires TIMESTAMPTZ,
    last_error    TEXT,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, chunk)
);
-- Workers look for claimable jobs in chunk order: queued ones, and leased ones whose lease
-- ran out.
CREATE INDEX zkb_jobs_claimable ON zkb_jobs (run_id, chunk) WHERE state IN ('queued', 'leased');

-- At most one proof per chunk (the primary key); written in the transaction that marks the
-- job done. `seq` lets the coordinator read only the proofs it has not seen.
CREATE TABLE zkb_proofs (
    seq       BIGSERIAL UNIQUE,
    run_id    BIGINT NOT NULL,
    chunk     INTEGER NOT NULL,
    proof     BYTEA NOT NULL,
    worker    TEXT NOT NULL,
    proven_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, chunk),
    FOREIGN KEY (run_id, chunk) REFERENCES zkb_jobs (run_id, chunk) ON DELETE CASCADE
);
