"""Lambda's ``Runtime.*`` error types, named once for both sides of the control
channel (the platform imports them from here, as it does :mod:`.frames`)."""

from __future__ import annotations

UNKNOWN = "Runtime.Unknown"
EXIT_ERROR = "Runtime.ExitError"
OUT_OF_MEMORY = "Runtime.OutOfMemory"
MARSHAL_ERROR = "Runtime.MarshalError"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
BEFORE_SNAPSHOT_ERROR = "Runtime.BeforeSnapshotError"
AFTER_RESTORE_ERROR = "Runtime.AfterRestoreError"
SNAPSHOT_THREADS_ERROR = "Runtime.SnapshotThreadsError"
