"""The runtime that runs inside each execution environment.

Everything in this package is standard-library only and imports nothing else of
snaplambda: it is executed by the *function's* interpreter, which must not see the
platform's dependencies.  The platform imports :mod:`frames` from here so that both
sides of the control channel share one definition of the wire format.
"""
