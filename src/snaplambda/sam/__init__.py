"""Deploying AWS SAM templates: ``template`` loads a template and resolves simple
intrinsics, ``plan`` turns it into a typed deployable ``model``, ``deploy`` applies
that plan through the HTTP API."""
