"""Lambda's limits for function configuration and payloads, in one place."""

from __future__ import annotations

SUPPORTED_RUNTIMES = ("python3.11", "python3.12", "python3.13")
MEMORY_MIN_MB, MEMORY_MAX_MB = 128, 10240
TIMEOUT_MIN_S, TIMEOUT_MAX_S = 1, 900
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128
EPHEMERAL_MIN_MB, EPHEMERAL_MAX_MB = 512, 10240
ENV_VARS_MAX_BYTES = 4096
HANDLER_MAX_LEN = 128
DESCRIPTION_MAX_LEN = 256
SYNC_PAYLOAD_MAX_BYTES = 6 * 1024 * 1024
ZIP_MAX_BYTES = 50 * 1024 * 1024
UNZIPPED_MAX_BYTES = 250 * 1024 * 1024
"""Code and all layers of a function, unzipped."""
TOTAL_CODE_MAX_BYTES = 75 * 1024 * 1024 * 1024
"""AWS's default account quota for all function and layer code (75 GB), as
GetAccountSettings reports it; snaplambda does not enforce it."""
MAX_LAYERS = 5
ONE_VCPU_MB = 1769

#: Variables Lambda sets itself; a function may not override them.
RESERVED_ENV_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

#: Processes and threads one execution environment may have (Lambda's limit; the
#: sandbox sets it as RLIMIT_NPROC too, and a cgroup ``pids`` group enforces it per
#: environment where the host has that controller).
PROCESSES_MAX = 1024
